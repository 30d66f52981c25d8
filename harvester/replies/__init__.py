"""Replies back to the platforms: the outbox, approval, the exactly-once push, and confirmation by harvest."""

from harvester.replies.api import Outbox
from harvester.replies.outbox import ApprovalMismatch, KeyConflict, UnknownMessage, UnknownReply
from harvester.replies.states import IllegalTransition, State
from harvester.replies.views import AuditEntry, ReplyView

__all__ = ["ApprovalMismatch", "AuditEntry", "IllegalTransition", "KeyConflict", "Outbox", "ReplyView", "State",
           "UnknownMessage", "UnknownReply"]
