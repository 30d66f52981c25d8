"""One mailbox letter, the city profile it belongs to, and how a seeded random makes and moves it."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from replicas import textgen

# Handling stages; each layout shows them under its own labels.
PENDING, IN_PROGRESS, REPLIED, CLOSED = "pending", "in_progress", "replied", "closed"
STAGES = (PENDING, IN_PROGRESS, REPLIED, CLOSED)
GRADES = ("满意", "基本满意", "不满意")
GRADE_WEIGHTS = (60, 25, 15)
# Tianjin flags a reply as 超时 past its deadline; the generic rule found is 7 days (PLATFORMS.md §5).
OVERDUE_AFTER = timedelta(days=7)
# Which bureau a topic usually lands at ("市" becomes the city's name); 其他 goes to the letter's district.
UNIT_BY_TOPIC = {
    "城建": ("市住房和城乡建设局", "市城市管理局"), "交通": ("市交通运输局",), "环保": ("市生态环境局",),
    "教育": ("市教育局",), "医疗": ("市卫生健康委员会",), "治安": ("市公安局",), "三农": ("市农业农村局",),
    "就业": ("市人力资源和社会保障局",), "政务": ("市政务服务管理局",), "其他": ("区人民政府",),
}


@dataclass(frozen=True)
class Profile:
    """What differs between cities in the world itself (layouts differ in rendering only)."""

    city: str
    districts: tuple[str, ...]
    kinds: tuple[str, ...]
    kind_weights: tuple[int, ...]
    hotline: bool = False  # replies addressed to 「市12345平台：」 (Dalian, Beijing) instead of the citizen
    public_share: float = 0.9


@dataclass
class Letter:
    """A citizen letter; every layout renders from this and the ground truth is taken from it."""

    serial: int  # increasing with gaps (ids are shared with other columns of the same system)
    token: str  # 32 hex digits, for sites keyed by an opaque id
    day_no: int  # position in the city-wide numbering of its day, with gaps
    title: str
    author: str
    body: str
    posted_at: datetime
    kind: str
    topic: str
    district: str
    public: bool
    views: int
    likes: int
    dislikes: int
    ratings: int
    stage: str = PENDING
    unit: str = ""
    replied_at: datetime | None = None
    reply_text: str = ""
    satisfaction: str = ""

    @property
    def overdue(self) -> bool | None:
        """Whether the reply came after the deadline; None while unanswered."""
        if self.replied_at is None:
            return None
        return self.replied_at - self.posted_at > OVERDUE_AFTER


def new_letter(rng: random.Random, profile: Profile, serial: int, day_no: int, posted_at: datetime) -> Letter:
    """A freshly submitted letter (pending, no unit yet)."""
    text = textgen.letter(rng)
    topic = "其他" if rng.random() < 0.05 else text["topic"]
    return Letter(
        serial=serial, token=f"{rng.getrandbits(128):032x}", day_no=day_no, title=text["title"],
        author=textgen.masked_name(rng), body=text["body"], posted_at=posted_at.replace(microsecond=0),
        kind=rng.choices(profile.kinds, profile.kind_weights)[0], topic=topic,
        district=rng.choice(profile.districts), public=rng.random() < profile.public_share,
        views=rng.randint(1, 9), likes=0, dislikes=0, ratings=0,
    )


def assign(letter: Letter, rng: random.Random, profile: Profile) -> None:
    """pending -> in progress: a unit takes the letter."""
    base = rng.choice(UNIT_BY_TOPIC.get(letter.topic, UNIT_BY_TOPIC["其他"]))
    letter.unit = f"{letter.district}人民政府" if base == "区人民政府" else base.replace("市", profile.city, 1)
    letter.stage = IN_PROGRESS


def reply(letter: Letter, rng: random.Random, profile: Profile, when: datetime) -> None:
    """in progress -> replied: the unit's answer is published."""
    if not letter.unit:
        assign(letter, rng, profile)
    letter.stage = REPLIED
    letter.replied_at = when.replace(microsecond=0)
    if profile.hotline:
        letter.reply_text = hotline_reply(rng, letter)
    else:
        letter.reply_text = textgen.official_reply(rng, letter.unit)


def close(letter: Letter, rng: random.Random) -> None:
    """replied -> closed; about half of the citizens grade the answer, some readers vote on it."""
    letter.stage = CLOSED
    if rng.random() < 0.5:
        letter.satisfaction = rng.choices(GRADES, GRADE_WEIGHTS)[0]
    letter.ratings += rng.randint(0, 6)
    letter.likes += rng.randint(0, 12)
    letter.dislikes += rng.randint(0, 3)


def hotline_reply(rng: random.Random, letter: Letter) -> str:
    """The 12345 register: addressed to the platform, telling how the citizen was phoned (seen in Dalian data)."""
    day = letter.posted_at
    return (f"市12345平台：{day.year}年{day.month}月{day.day}日转来{letter.author}反映的“{letter.title}”收悉。"
            f"接件后，{letter.unit}高度重视，立即安排工作人员电话联系来信人了解具体诉求，并赴现场核查。"
            f"经核实，来信人反映的情况基本属实，我单位已责成相关责任单位限期整改，预计{rng.randint(3, 15)}个工作日内完成。"
            "工作人员已将办理情况电话告知来信人，来信人表示认可。")


def reply_title(letter: Letter) -> str:
    """The heading some portals give a reply (Tianjin's 回复标题)."""
    core = letter.title.removeprefix("关于").removesuffix("的问题")
    return f"关于{core}问题的回复"
