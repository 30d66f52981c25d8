"""What each console role may do; personal data is shown unmasked only to roles holding `full`."""

from __future__ import annotations

from enum import StrEnum


class Can(StrEnum):
    READ = "read"  # every page, personal data masked
    DRAFT = "draft"  # write, edit and cancel reply drafts
    APPROVE = "approve"  # approve, send back (reject) and cancel replies
    FULL = "full"  # see citizens' names and phone numbers unmasked (every such view audited)
    ADMIN = "admin"  # the console's audit log


ROLE_RIGHTS: dict[str, frozenset[Can]] = {
    "viewer": frozenset({Can.READ}),
    "drafter": frozenset({Can.READ, Can.DRAFT}),
    "approver": frozenset({Can.READ, Can.APPROVE, Can.FULL}),
    "admin": frozenset(Can),
}
ROLE_NAMES = {"viewer": "查看", "drafter": "起草", "approver": "审核", "admin": "管理员"}
REFUSED = {Can.DRAFT: "您的角色无权起草或修改答复", Can.APPROVE: "您的角色无权审核答复",
           Can.FULL: "您的角色无权查看未脱敏的个人信息", Can.ADMIN: "仅管理员可查看", Can.READ: "无权访问"}


def rights(role: str) -> frozenset[Can]:
    return ROLE_RIGHTS.get(role, frozenset())
