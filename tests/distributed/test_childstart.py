"""A harvest task's child forked from the worker process's preloaded forkserver (childstart.py): it gets its own
session, only the environment it is given, its output in the task's log, and at the time limit it is killed
with everything it started; a batch whose child is killed at the limit records a failed run saying so."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest

from harvester.app.distributed.batch import CHILD_FAILURE, harvest_batch
from harvester.app.distributed.childstart import run_child
from harvester.config import load_config
from harvester.timeutil import utcnow
from tests.distributed.cluster import all_runs, cluster_env, fleet, wait_for, write_fleet_config

PROBE = "tests.distributed.childprobe"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_the_child_gets_its_own_session_the_given_environment_and_the_log(tmp_path: Path) -> None:
    os.environ["HARVESTER_TEST_CHILDSTART_SECRET"] = "s3cret"  # in this process, not in what the child is given
    try:
        out, log = tmp_path / "probe.json", tmp_path / "task.log"
        env = {"PATH": os.environ["PATH"], "HARVESTER_CONFIG": "/etc/liuyan/harvester.toml", "LANG": "C.UTF-8"}
        earlier = {**env, "HARVESTER_EARLIER_TASK": "1"}  # the forkserver may have started with another task's
        assert run_child([str(out), "0"], earlier, log, timeout_s=60, entry=f"{PROBE}:report") == 0
        code = run_child([str(out), "3"], env, log, timeout_s=60, entry=f"{PROBE}:report")
    finally:
        del os.environ["HARVESTER_TEST_CHILDSTART_SECRET"]
    assert code == 3
    seen = json.loads(out.read_text(encoding="utf-8"))
    assert "HARVESTER_TEST_CHILDSTART_SECRET" not in seen["env"]
    assert "HARVESTER_EARLIER_TASK" not in seen["env"]
    assert seen["env"]["HARVESTER_CONFIG"] == "/etc/liuyan/harvester.toml"
    assert seen["sid"] == seen["pid"] != os.getsid(0)  # its own session: killed as a group at the time limit
    assert log.read_text(encoding="utf-8").splitlines() == ["生活垃圾 to stdout", "to stderr"]


def test_a_child_past_the_time_limit_is_killed_with_what_it_started(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    code = run_child([str(pid_file)], {"PATH": os.environ["PATH"]}, tmp_path / "task.log", timeout_s=3,
                     entry=f"{PROBE}:hang")
    assert code is None  # killed at the limit
    grandchild = int(pid_file.read_text(encoding="utf-8"))
    wait_for(lambda: not _alive(grandchild), 10, "the child's own child to be killed with it")


@pytest.mark.postgres
def test_a_harvest_killed_at_the_task_time_limit_is_a_failed_run_saying_so(tmp_path: Path, pg_url: str) -> None:
    with fleet(tmp_path, 1, letters=12) as urls:
        config_file = write_fleet_config(tmp_path, pg_url, urls, delay=5.0, concurrency=1)  # far longer than 4 s
        env = cluster_env(config_file, "redis://127.0.0.1:9/0")
        saved = dict(os.environ)
        os.environ.update(env)
        try:
            config = load_config(env=env, cwd=tmp_path)
            result = harvest_batch(config, list(urls), utcnow() - timedelta(seconds=1), timeout_s=4)
        finally:
            os.environ.clear()
            os.environ.update(saved)
    (slug,) = urls
    assert list(result.failed) == [slug] and not result.harvested
    runs = all_runs(pg_url)
    failed = [r for r in runs if r["outcome"] == "failed"]
    assert len(failed) == 1 and failed[0]["id"] == result.failed[slug]
    assert failed[0]["failure_class"] == CHILD_FAILURE
    assert "killed at the task time limit" in failed[0]["error"]
    assert [r["outcome"] for r in runs if r["id"] != failed[0]["id"]] == ["abandoned"]  # the child's own, closed


@pytest.mark.postgres
def test_a_harvest_process_that_cannot_start_is_a_failed_run_for_every_target(
        tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault injected where the worker starts the child (a host out of file descriptors): the targets are not
    left unrecorded until the next cycle; each gets a failed run naming the error."""
    from harvester.app.distributed import batch

    def out_of_descriptors(*_: object, **__: object) -> None:
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(batch, "run_child", out_of_descriptors)
    urls = {"fleet_001": "http://127.0.0.1:9", "fleet_002": "http://127.0.0.1:9"}
    config = load_config(env=cluster_env(write_fleet_config(tmp_path, pg_url, urls), "redis://127.0.0.1:9/0"),
                         cwd=tmp_path)
    result = harvest_batch(config, list(urls), utcnow(), timeout_s=60)
    assert sorted(result.failed) == sorted(urls)
    runs = {r["platform"]: r for r in all_runs(pg_url)}
    assert {slug: (r["outcome"], r["failure_class"]) for slug, r in runs.items()} == {
        slug: ("failed", CHILD_FAILURE) for slug in urls}
    assert "could not be started (OSError: [Errno 24] Too many open files)" in runs["fleet_001"]["error"]
