"""Letters the console tests read: three platforms, several units and states, a copy on a second platform
(一稿多投), a reply in time and one late, and deadlines around National Day 2025 (Oct 1-8 off; Sep 28 and
Oct 11 are make-up working days)."""

from __future__ import annotations

from datetime import datetime

from harvester.schema import Reply
from harvester.store.db import Store
from harvester.timeutil import SHANGHAI
from harvester.vocab import Kind, Status, Topic
from tests.store.builders import letter


def bj(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2025, month, day, hour, 0, tzinfo=SHANGHAI)


PHONE, NAME = "13812345678", "王小明"
NOISE = f"XX路工地每晚十一点后仍在施工，噪音很大，影响休息。请相关部门尽快处理。联系人：{NAME}，电话{PHONE}。"
LETTERS = [
    # complaint (10 working days) posted the Friday before National Day: due Oct 16, not Oct 10
    letter("1001", body=NOISE, handling_unit="市住建局", posted_at=bj(9, 26), author=NAME),
    # consultation (5 working days) from mid-September: long overdue in October
    letter("1002", title="公交12路能否延长运营时间", body="希望公交12路末班车延长到晚上十点。", kind=Kind.CONSULT,
           kind_raw="咨询", topic=Topic.TRANSPORT, topic_raw="交通", handling_unit="市交通局", posted_at=bj(9, 15)),
    # answered in 3 working days
    letter("1003", title="小区路灯不亮", body="幸福小区东门路灯坏了一个月。", status=Status.REPLIED, status_raw="已回复",
           handling_unit="市住建局", posted_at=bj(9, 10),
           replies=[Reply(text="您好，路灯已修复。", organisation="市住建局", replied_at=bj(9, 15, 16))]),
    # answered late: 12 working days after posting, a complaint allows 10
    letter("1004", title="垃圾清运不及时", body="菜市场旁垃圾三天没人收。", status=Status.CLOSED, status_raw="已办结",
           handling_unit="市城管局", posted_at=bj(9, 1), topic=Topic.ENVIRONMENT, topic_raw="环保",
           replies=[Reply(text="您好，已安排每日清运。", organisation="市城管局", replied_at=bj(9, 17, 10))]),
    # a suggestion on the leader board, posted just after the holiday: due Oct 16
    letter("2001", platform="people_demo", title="建议增加学校周边交通协管", body="上下学时段学校门口拥堵，建议增派协管员。",
           url="http://127.0.0.1:8603/threads/content?tid=2001", board_id="559", addressee="市委书记",
           kind=Kind.SUGGEST, kind_raw="建议", topic=Topic.EDUCATION, topic_raw="教育", status=Status.IN_PROGRESS,
           status_raw="办理中", handling_unit="市教育局", posted_at=bj(10, 10)),
    # the noise letter again on the leader board (一稿多投)
    letter("2002", platform="people_demo", body=NOISE + "盼复。", url="http://127.0.0.1:8603/threads/content?tid=2002",
           board_id="559", addressee="市委书记", handling_unit="市住建局", posted_at=bj(9, 27), author=NAME),
    # a forum thread nobody handles yet
    letter("3001", platform="discuz_demo", title="河道有人倾倒建筑垃圾", body="城西河道边每天晚上有车倾倒建筑垃圾。",
           url="http://127.0.0.1:8602/thread-3001-1-1.html", board_id="2", addressee="网络问政",
           kind=Kind.REPORT, kind_raw="举报", topic=Topic.ENVIRONMENT, topic_raw="环保", posted_at=bj(10, 13)),
]


def seed_letters(store: Store, pid: int) -> None:
    with store.transaction() as repo:
        run_id = repo.start_run("jact_demo", pid)
        repo.upsert_messages(LETTERS, run_id, bj(10, 13, 20), link_copies=True)
        repo.finish_run(run_id, "succeeded", {"requests": 12, "items": len(LETTERS), "new": len(LETTERS)})
