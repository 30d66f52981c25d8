"""The fast-reply rules: login, thread access, formhash, flood interval, hourly cap, moderation queue."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from replicas.discuz.auth import Session
from replicas.discuz.model import Post
from replicas.discuz.settings import Settings
from replicas.discuz.world import World

NOT_LOGGED_IN = "您还未登录，不能回复"
NO_THREAD = "抱歉，指定的主题不存在或已被删除或正在被审核"
READPERM = "抱歉，本帖要求阅读权限高于 {readperm} 才能浏览"
CLOSED = "抱歉，本主题已关闭，不再接受新内容"
BAD_FORMHASH = "您的请求来路不正确或表单验证串不符，无法提交"
EMPTY = "抱歉，您尚未输入标题或内容"
FLOOD = "抱歉，您两次发表间隔少于 {seconds} 秒，请稍候再发表"
HOURLY = "抱歉，您所在的用户组每小时限制发回帖 {cap} 个，请稍候再发表"
QUEUED = "回复需要审核，请等待通过"
SUCCEED = "非常感谢，回复发布成功，现在将转入主题页，请稍候……[ 点击这里转入主题列表 ]"


@dataclass(frozen=True)
class Outcome:
    """What a reply attempt produced: the text shown, and the stored post unless it was refused."""

    ok: bool
    message: str
    post: Post | None = None


class ReplyDesk:
    """Checks replies in the order Discuz does and stores accepted ones.

    Flood and hourly limits run on real elapsed time (a monotonic clock), not on the site's now, so a
    frozen `now` still lets a client wait the interval out.
    """

    def __init__(self, world: World, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self.world = world
        self.settings = settings
        self.clock = clock
        self._history: dict[int, list[float]] = defaultdict(list)

    def submit(self, session: Session | None, tid: int, form: dict[str, str], now: datetime) -> Outcome:
        refusal = self._refusal(session, tid, form)
        if refusal:
            return Outcome(False, refusal)
        assert session is not None
        user, thread = session.user, self.world.threads[tid]
        self._history[user.uid].append(self.clock())
        moderated = self.settings.moderate_new and user.group == "新手上路"
        post = self.world.reply(thread, user, form["message"].strip(), now, moderated=moderated)
        return Outcome(not moderated, QUEUED if moderated else SUCCEED, post)

    def _refusal(self, session: Session | None, tid: int, form: dict[str, str]) -> str | None:
        if session is None:
            return NOT_LOGGED_IN
        thread = self.world.threads.get(tid)
        if thread is None:
            return NO_THREAD
        if thread.readperm > session.user.readaccess:
            return READPERM.format(readperm=thread.readperm)
        if thread.closed:
            return CLOSED
        if form.get("formhash", "") != session.formhash:
            return BAD_FORMHASH
        if not form.get("message", "").strip():
            return EMPTY
        return self._limits(session.user.uid)

    def _limits(self, uid: int) -> str | None:
        now, recent = self.clock(), self._history[uid]
        recent[:] = [moment for moment in recent if now - moment < 3600]
        if recent and now - recent[-1] < self.settings.flood_seconds:
            return FLOOD.format(seconds=self.settings.flood_seconds)
        if len(recent) >= self.settings.hourly_cap:
            return HOURLY.format(cap=self.settings.hourly_cap)
        return None
