"""The one vocabulary every platform maps onto: message kind, topic and status."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

T = TypeVar("T")


class Kind(StrEnum):
    """What the citizen is doing (建议/咨询/投诉/求助/举报/表扬)."""

    CONSULT = "consult"
    SUGGEST = "suggest"
    COMPLAIN = "complain"
    HELP = "help"
    REPORT = "report"
    PRAISE = "praise"
    OTHER = "other"


class Topic(StrEnum):
    """Subject area (城建、交通、环保 …), following the 领导留言板 domain list."""

    URBAN_CONSTRUCTION = "urban_construction"  # 城建
    TRANSPORT = "transport"  # 交通
    ENVIRONMENT = "environment"  # 环保
    EDUCATION = "education"  # 教育
    HEALTH = "health"  # 医疗
    PUBLIC_SECURITY = "public_security"  # 治安
    AGRICULTURE = "agriculture"  # 三农
    EMPLOYMENT = "employment"  # 就业
    GOVERNMENT = "government"  # 政务
    ENTERPRISE = "enterprise"  # 企业
    TOURISM = "tourism"  # 旅游
    FINANCE = "finance"  # 金融
    CULTURE = "culture"  # 文娱 / 体育
    OTHER = "other"  # 其他


class Status(StrEnum):
    """Handling state as the platform shows it, canonicalised."""

    PENDING = "pending"  # 待回复 / 待处理 / 待审查
    IN_PROGRESS = "in_progress"  # 办理中 / 处理中
    REPLIED = "replied"  # 已回复 / 已办理 / 已处理
    CLOSED = "closed"  # 已办结
    HIDDEN = "hidden"  # no longer public on the platform

    @property
    def is_open(self) -> bool:
        """Open messages are re-checked until they settle."""
        return self in (Status.PENDING, Status.IN_PROGRESS)

    def open311(self) -> str:
        """GeoReport v2 knows only `open` and `closed`."""
        return "open" if self.is_open else "closed"


# Display names (Open311 service_name); the code (Open311 service_code) is the Kind's value.
KIND_NAMES: dict[Kind, str] = {
    Kind.CONSULT: "咨询", Kind.SUGGEST: "建议", Kind.COMPLAIN: "投诉", Kind.HELP: "求助", Kind.REPORT: "举报",
    Kind.PRAISE: "表扬", Kind.OTHER: "其他",
}

KIND_LABELS: dict[str, Kind] = {
    "咨询": Kind.CONSULT, "我要咨询": Kind.CONSULT, "咨询问题": Kind.CONSULT,
    "建议": Kind.SUGGEST, "建言": Kind.SUGGEST, "意见建议": Kind.SUGGEST, "我要建议": Kind.SUGGEST,
    "投诉": Kind.COMPLAIN, "我要投诉": Kind.COMPLAIN, "反映问题": Kind.COMPLAIN,
    "投诉/求助": Kind.COMPLAIN,
    "求助": Kind.HELP, "我要求助": Kind.HELP,
    "举报": Kind.REPORT,
    "表扬": Kind.PRAISE, "感谢": Kind.PRAISE,
}

TOPIC_LABELS: dict[str, Topic] = {
    "城建": Topic.URBAN_CONSTRUCTION, "城乡建设": Topic.URBAN_CONSTRUCTION, "住房": Topic.URBAN_CONSTRUCTION,
    "交通": Topic.TRANSPORT, "环保": Topic.ENVIRONMENT, "生态环境": Topic.ENVIRONMENT,
    "教育": Topic.EDUCATION, "医疗": Topic.HEALTH, "卫生健康": Topic.HEALTH,
    "治安": Topic.PUBLIC_SECURITY, "公共安全": Topic.PUBLIC_SECURITY,
    "三农": Topic.AGRICULTURE, "农业农村": Topic.AGRICULTURE,
    "就业": Topic.EMPLOYMENT, "劳动保障": Topic.EMPLOYMENT, "社保": Topic.EMPLOYMENT,
    "政务": Topic.GOVERNMENT, "工作作风": Topic.GOVERNMENT,
    "企业": Topic.ENTERPRISE, "旅游": Topic.TOURISM, "金融": Topic.FINANCE,
    "文娱": Topic.CULTURE, "体育": Topic.CULTURE,
    "其他": Topic.OTHER, "其它": Topic.OTHER,
}

STATUS_LABELS: dict[str, Status] = {
    "待回复": Status.PENDING, "待处理": Status.PENDING, "待审查": Status.PENDING, "未办理": Status.PENDING,
    "待受理": Status.PENDING, "已受理": Status.IN_PROGRESS,
    "办理中": Status.IN_PROGRESS, "处理中": Status.IN_PROGRESS, "正在办理": Status.IN_PROGRESS,
    # Extended handling (a complex matter: the overdue check gives it the `complex` deadline).
    "延期办理": Status.IN_PROGRESS, "申请延期": Status.IN_PROGRESS, "已延期": Status.IN_PROGRESS,
    "延期中": Status.IN_PROGRESS, "延期答复": Status.IN_PROGRESS, "延期": Status.IN_PROGRESS,
    "已回复": Status.REPLIED, "已办理": Status.REPLIED, "已处理": Status.REPLIED, "已答复": Status.REPLIED,
    "已办结": Status.CLOSED, "办结": Status.CLOSED,
}


class UnknownLabel(ValueError):
    """A raw label that no vocabulary maps; the page is quarantined rather than guessed."""


def _lookup(table: dict[str, T], raw: str, extra: dict[str, T] | None, what: str) -> T:
    label = raw.strip()
    if extra and label in extra:
        return extra[label]
    if label in table:
        return table[label]
    raise UnknownLabel(f"unknown {what} label {label!r}")


def kind_of(raw: str | None, extra: dict[str, Kind] | None = None) -> Kind:
    """Canonical kind for a platform label; an absent label is OTHER, an unknown one raises."""
    return Kind.OTHER if not raw else _lookup(KIND_LABELS, raw, extra, "kind")


def topic_of(raw: str | None, extra: dict[str, Topic] | None = None) -> Topic:
    """Canonical topic for a platform label; an absent label is OTHER, an unknown one raises."""
    return Topic.OTHER if not raw else _lookup(TOPIC_LABELS, raw, extra, "topic")


def status_of(raw: str, extra: dict[str, Status] | None = None) -> Status:
    """Canonical status for a platform label; unknown labels raise (never guess a status)."""
    return _lookup(STATUS_LABELS, raw, extra, "status")
