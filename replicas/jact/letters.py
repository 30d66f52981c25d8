"""One jact letter: its fields, how a seeded random makes one, and its status moves."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from replicas import textgen

PENDING, IN_PROGRESS, REPLIED, CLOSED = "待处理", "办理中", "已回复", "已办结"
STATUSES = (PENDING, IN_PROGRESS, REPLIED, CLOSED)
KINDS = ("咨询", "投诉", "建议", "求助", "举报", "表扬")
KIND_WEIGHTS = (25, 30, 20, 15, 5, 5)
GRADES = ("满意", "基本满意", "不满意")
GRADE_WEIGHTS = (60, 25, 15)
# Which bureau a topic usually lands at; 其他 goes to the district government.
UNIT_BY_TOPIC = {
    "城建": ("市住房和城乡建设局", "市城市管理局"), "交通": ("市交通运输局",), "环保": ("市生态环境局",),
    "教育": ("市教育局",), "医疗": ("市卫生健康委员会",), "治安": ("市公安局",), "三农": ("市农业农村局",),
    "就业": ("市人力资源和社会保障局",), "政务": ("市政务服务管理局",), "其他": ("区人民政府",),
}


@dataclass(frozen=True)
class UnitReply:
    """One reply of a handling unit, with the id the back office shows for it."""

    reply_id: str
    unit: str
    replied_at: datetime
    text: str


def reply_id(transact_id: int, number: int) -> str:
    """The back office's id of the `number`-th reply (1-based) to a letter."""
    return f"R{transact_id}{number:02d}"


@dataclass
class Letter:
    """A citizen letter as the back office holds it; pages and the JSON ground truth render from this."""

    transact_id: int
    letter_no: str
    title: str
    author: str
    posted_at: datetime
    kind: str
    topic: str
    body: str
    public: bool
    views: int
    attachments: list[str] = field(default_factory=list)
    status: str = PENDING
    unit: str = ""
    replied_at: datetime | None = None
    reply_text: str = ""
    satisfaction: str = ""
    broken: bool = False
    blank_body: bool = False  # the CMS lost the letter's text: the page is intact, 信件内容 is empty
    # Replies after the first one (the public detail page shows only the first, in replied_at/reply_text).
    later_replies: list[UnitReply] = field(default_factory=list)

    def replies(self) -> list[UnitReply]:
        """Every reply of a unit, oldest first; ids are R<transactId><nn>, the first one R<transactId>01."""
        first = []
        if self.replied_at is not None:
            first.append(UnitReply(reply_id(self.transact_id, 1), self.unit, self.replied_at, self.reply_text))
        return first + self.later_replies

    def to_json(self) -> dict[str, Any]:
        """The ground truth a harvest is compared against (times ISO 8601 with +08:00)."""
        replies = [{"unit": r.unit, "replied_at": r.replied_at.isoformat(), "text": r.text, "reply_id": r.reply_id}
                   for r in self.replies()]
        return {
            "id": self.transact_id, "letter_no": self.letter_no, "title": self.title, "author": self.author,
            "posted_at": self.posted_at.isoformat(), "kind": self.kind, "topic": self.topic,
            "body": self.body, "status": self.status, "public": self.public, "unit": self.unit,
            "views": self.views, "attachments": list(self.attachments), "satisfaction": self.satisfaction,
            "replies": replies,
        }


def new_letter(rng: random.Random, transact_id: int, letter_no: str, posted_at: datetime,
               public_share: float) -> Letter:
    """A freshly submitted (待处理) letter; ~10% carry an attachment."""
    text = textgen.letter(rng)
    topic = "其他" if rng.random() < 0.05 else text["topic"]
    kind = rng.choices(KINDS, KIND_WEIGHTS)[0]
    letter = Letter(transact_id=transact_id, letter_no=letter_no, title=text["title"],
                    author=textgen.masked_name(rng), posted_at=posted_at, kind=kind, topic=topic,
                    body=text["body"], public=rng.random() < public_share, views=rng.randint(1, 9))
    if rng.random() < 0.10:
        suffix = rng.choice(("jpg", "png", "pdf", "docx"))
        letter.attachments.append(f"/jact/upload/{posted_at:%Y%m}/{transact_id}_1.{suffix}")
    return letter


def assign(letter: Letter, rng: random.Random) -> None:
    """待处理 -> 办理中: a unit takes the letter (the list starts showing it)."""
    letter.status = IN_PROGRESS
    letter.unit = rng.choice(UNIT_BY_TOPIC.get(letter.topic, textgen.UNITS))


def reply(letter: Letter, rng: random.Random, when: datetime) -> None:
    """办理中 -> 已回复: the unit's reply is published."""
    if not letter.unit:
        assign(letter, rng)
    letter.status = REPLIED
    letter.replied_at = when.replace(microsecond=0)
    letter.reply_text = textgen.official_reply(rng, letter.unit)


def close(letter: Letter, rng: random.Random) -> None:
    """已回复 -> 已办结; about half of the citizens grade the answer."""
    letter.status = CLOSED
    if rng.random() < 0.5:
        letter.satisfaction = rng.choices(GRADES, GRADE_WEIGHTS)[0]


def record_reply(letter: Letter, unit: str, text: str, when: datetime) -> UnitReply:
    """A unit's reply from the back office: the first one is published (-> 已回复), later ones are kept too."""
    when = when.replace(microsecond=0)
    if letter.replied_at is None:
        letter.unit, letter.replied_at, letter.reply_text = unit, when, text
    else:
        letter.later_replies.append(UnitReply(reply_id(letter.transact_id, len(letter.replies()) + 1),
                                              unit, when, text))
    letter.status = REPLIED
    return letter.replies()[-1]
