"""Replies back to the platforms: the outbox, approval, the exactly-once push, and confirmation by harvest."""

from harvester.app.replies.api import Outbox
from harvester.store.outbox.records import ApprovalMismatch, KeyConflict, UnknownMessage, UnknownReply
from harvester.store.outbox.states import IllegalTransition, State
from harvester.store.outbox.views import AuditEntry, ReplyView

__all__ = ["ApprovalMismatch", "AuditEntry", "IllegalTransition", "KeyConflict", "Outbox", "ReplyView", "State",
           "UnknownMessage", "UnknownReply"]
