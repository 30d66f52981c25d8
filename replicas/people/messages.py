"""One message (留言) with its official replies: generation, state moves, and the item dict the APIs show."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from replicas import textgen
from replicas.people.boards import IP_PREFIXES, NATIONWIDE, OTHER_IP_PREFIXES, Board

PENDING, IN_PROGRESS, HANDLED = "待回复", "办理中", "已办理"
STATES = (PENDING, IN_PROGRESS, HANDLED)
PROCESS_INFO = {PENDING: "未交办", IN_PROGRESS: "已交办", HANDLED: "已回复"}
TYPES = {1: "建言", 2: "投诉/求助", 3: "咨询"}  # only 2 is seen in data; 1 and 3 are inferred
DOMAINS = {1: "治安", 2: "政务", 4: "企业", 5: "旅游", 6: "交通", 7: "城建", 9: "三农", 11: "就业", 12: "医疗",
           13: "环保", 14: "教育", 16: "其他", 20: "金融"}
DOMAIN_IDS = {name: domain_id for domain_id, name in DOMAINS.items()}
SOURCES = ("PC浏览器", "PC浏览器", "手机浏览器", "人民日报客户端", "微信")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
EXTRA_LINES = ("周边老人和孩子较多，出行非常不便，安全隐患很大。", "附近商户的正常经营也受到了影响。",
               "我们也拨打过12345热线，对方表示会转交相关部门，但至今没有回音。",
               "恳请领导在百忙之中关注此事，给群众一个明确的答复。")
INTERIM = "您好！您的留言已收悉，我单位已转交相关部门调查处理，待有处理结果后将及时回复，请耐心等待。"
LIST_CONTENT_CHARS = 100


@dataclass
class Reply:
    """An official reply (contentList dataType 4)."""

    answer_id: int
    organization: str
    content: str
    dateline: int


@dataclass
class Message:
    """A citizen message as the platform stores it; times are unix seconds (UTC+8 when displayed)."""

    tid: int
    board: Board
    user_id: int
    nick: str
    subject: str
    content: str
    dateline: int
    check_time: int  # publication (approval) time, threadsCheckTime; in the future while unpublished
    type_id: int
    domain_id: int
    ip: str
    area: str
    source: str
    state: str = PENDING
    replies: list[Reply] = field(default_factory=list)
    fav: int = 0
    grade_manner: int | None = None
    grade_speed: int | None = None
    grade_due: int | None = None  # when the citizen will rate the reply; None = never
    inline_answer: bool = True  # some handled items show empty answer* fields in lists (seen in 2026 data)
    published: bool = True  # approved and public; until then no list, search or content API shows it

    @property
    def replies_first(self) -> bool:
        """contentList order is not guaranteed: for some threads the replies come before the message."""
        return self.tid % 3 == 1

    def item(self, truncate: bool = True) -> dict[str, Any]:
        """The list item of §1.6, in the platform's key order."""
        last = self.replies[-1] if self.replies and self.inline_answer else None
        grade = None if self.grade_manner is None else round((self.grade_manner + (self.grade_speed or 0)) / 2)
        return {
            "tid": self.tid, "fid": self.board.fid, "forumName": self.board.name, "userId": self.user_id,
            "topicId": 0,  # 0 on regular messages (seen); an activity's id on posts made through its H5 form
            "nickName": self.nick, "subject": self.subject,
            "content": shorten(self.content) if truncate else self.content,
            "dateline": self.dateline, "createDateline": self.dateline, "threadsCheckTime": self.check_time,
            "lastAnswerTime": self.replies[-1].dateline if self.replies else None,
            "typeId": self.type_id, "typeName": TYPES[self.type_id],
            "domainId": self.domain_id, "domainName": DOMAINS[self.domain_id],
            "stateInfo": self.state, "traceInfo": self.state, "processInfo": PROCESS_INFO[self.state],
            "answerId": last.answer_id if last else None, "answerContent": last.content if last else None,
            "answerDateline": last.dateline if last else None,
            "answerOrganization": last.organization if last else None,
            "gradeManner": self.grade_manner, "gradeSpeed": self.grade_speed, "grade": grade,
            "gradeLevel": grade,  # None until rated (seen); its scale when rated is not known (inferred: = grade)
            "favNum": self.fav, "ip": self.ip, "from": self.area, "sourceName": self.source,
            "hasReported": 0, "userType": 0, "threadState": 1, "publicAttachment": 1, "attachment": 0,
            "userFavStatus": 0, "trashRecheckState": 0, "shisiwu": False,
        }


def shorten(text: str) -> str:
    """List APIs cut the body to ~100 characters and add '...'."""
    return text if len(text) <= LIST_CONTENT_CHARS else text[:LIST_CONTENT_CHARS] + "..."


def new_message(rng: random.Random, tid: int, board: Board, posted: int) -> Message:
    """A fresh 待回复 message posted at unix time `posted`."""
    letter = textgen.letter(rng)
    lines = letter["body"].split("\n")
    phone = lines.pop() if lines[-1].startswith("联系电话") else ""  # keep a contact line last, as people write
    body = "".join(lines) + "".join(rng.sample(EXTRA_LINES, rng.randint(1, 3))) + phone
    domain = DOMAIN_IDS.get(letter["topic"], 16) if rng.random() > 0.08 else 16
    province, city = _area(rng, board)
    prefix = rng.choice(IP_PREFIXES.get(province, OTHER_IP_PREFIXES))
    return Message(
        tid=tid, board=board, user_id=rng.randint(1_200_000, 9_900_000), nick=rng.choice(SURNAMES) + "***",
        subject=letter["title"], content=body, dateline=posted, check_time=posted + rng.randint(900, 5 * 3600),
        type_id=rng.choices(list(TYPES), weights=(3, 6, 2))[0], domain_id=domain,
        ip=f"{prefix}.{rng.randint(1, 254)}.*", area=f" {province} {city}", source=rng.choice(SOURCES),
        inline_answer=rng.random() > 0.2)


def _area(rng: random.Random, board: Board) -> tuple[str, str]:
    if board.cities and rng.random() < 0.9:
        return board.province, rng.choice(board.cities)
    return rng.choice(NATIONWIDE)


def assign(message: Message) -> None:
    """待回复 -> 办理中: the board's office hands the message to a department."""
    message.state = IN_PROGRESS


def answer(message: Message, rng: random.Random, answer_id: int, at: int, interim: bool = False) -> Reply:
    """A department's reply at unix time `at`; a final reply moves the message to 已办理."""
    unit = rng.choice(message.board.departments())
    text = INTERIM if interim else textgen.official_reply(rng, unit)
    reply = Reply(answer_id, unit, text, at)
    message.replies.append(reply)
    if not interim:
        message.state = HANDLED
        # About half of handled messages get rated, a few hours to days after the reply (§1.6).
        message.grade_due = at + rng.randint(4 * 3600, 72 * 3600) if rng.random() < 0.5 else None
    return reply


def grade(message: Message, rng: random.Random) -> None:
    """The citizen rates attitude and speed (1-5), once."""
    message.grade_manner = rng.choices((5, 4, 3, 2, 1), weights=(60, 20, 10, 5, 5))[0]
    message.grade_speed = max(1, min(5, message.grade_manner + rng.choice((-1, 0, 0, 1))))
    message.grade_due = None
