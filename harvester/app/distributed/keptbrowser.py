"""The kept Chromium of a browser worker's pool process: one headless Chromium started before the process's first
browser task and kept for the next ones (restarted if it died, killed when the process exits), whose CDP endpoint
the task's child (harvest or push) gets in `HARVESTER_BROWSER_CDP_URL` to connect to instead of launching its own.

The endpoint listens on 127.0.0.1 only, but it gives full control of that browser to any local process: run browser
workers on hosts without untrusted local users.
"""

from __future__ import annotations

import atexit
import http.client
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from celery.signals import worker_process_shutdown

from adapters.playwright_settings import CDP_URL_ENV, CHROMIUM_ARGS, chromium_launch_options
from harvester.app.distributed.names import BROWSER_QUEUE
from harvester.app.runs_children import die_with_parent
from harvester.store.runlog import process_alive

logger = logging.getLogger(__name__)
START_TIMEOUT_S = 30.0
PROFILE_PREFIX = "harvester-kept-chromium-"
# Tasks one kept Chromium serves before a fresh one replaces it: its memory (caches, V8 heaps of closed pages'
# leftovers) grows over a day of harvests; a start costs under half a second.
RECYCLE_AFTER_TASKS = 50
PORT_FILE = "DevToolsActivePort"  # Chromium writes its port here (first line) once the endpoint listens
# What Playwright (1.65, chromiumSwitches.ts) passes a Chromium it launches, so that pages behave on the kept
# browser as on a launched one: no timer throttling of background pages, HTTP kept on HTTP (HttpsUpgrades), no
# /dev/shm exhaustion in containers, no Google services dialled at start-up.
PLAYWRIGHT_SWITCHES = (
    "--disable-field-trial-config", "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows", "--disable-back-forward-cache", "--disable-breakpad",
    "--disable-component-extensions-with-background-pages", "--no-default-browser-check", "--disable-default-apps",
    "--disable-dev-shm-usage",
    "--disable-features=AvoidUnnecessaryBeforeUnloadCheckSync,DestroyProfileOnBrowserClose,HttpsUpgrades,"
    "HttpsFirstBalancedModeAutoEnable,LensOverlay,MediaRouter,PaintHolding,ThirdPartyStoragePartitioning,"
    "AvoidCorsURLLoaderRestartOnRedirect,OptimizationHints,NetworkTimeServiceQuerying,AimEnabled,PreconnectToSearch",
    "--enable-features=CDPScreenshotNewSurface,SkipListAccountsWithoutGaiaCookies", "--allow-pre-commit-input",
    "--disable-hang-monitor", "--disable-ipc-flooding-protection", "--disable-popup-blocking",
    "--disable-prompt-on-repost", "--disable-renderer-backgrounding", "--force-color-profile=srgb",
    "--metrics-recording-only", "--password-store=basic", "--use-mock-keychain", "--no-service-autorun",
    "--disable-search-engine-choice-screen", "--hide-scrollbars",
)


class KeptBrowser:
    """One Chromium with a CDP endpoint on 127.0.0.1 and a private profile; `url()` starts it (again) if needed,
    and a fresh one after `recycle_after` tasks (a long-lived Chromium's memory only grows)."""

    def __init__(self, recycle_after: int = RECYCLE_AFTER_TASKS) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.profile: Path | None = None
        self.endpoint: str | None = None
        self.recycle_after = recycle_after
        self.served = 0  # tasks given this browser's endpoint

    def url(self) -> str:
        """The CDP endpoint (`http://127.0.0.1:PORT`) of a Chromium that answers now, for one more task: started
        if it was not running or no longer answers, or afresh once it has served `recycle_after` tasks."""
        if self.endpoint is not None and self.served >= self.recycle_after:
            logger.info("kept chromium (pid %s) served %d tasks; starting a fresh one", self.pid, self.served)
            self.stop()
        elif self.endpoint is None or not self._alive():
            if self.process is not None:
                logger.warning("kept chromium (pid %s) is gone or does not answer; starting another",
                               self.process.pid)
            self.stop()
        if self.endpoint is None:
            self.endpoint = self._start()
        self.served += 1
        return self.endpoint

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def stop(self) -> None:
        """Kill the browser (with its renderers) and remove its profile; safe to call twice."""
        if self.process is not None:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)  # its own process group: renderers and zygotes too
            self.process.wait()
        if self.profile is not None:
            shutil.rmtree(self.profile, ignore_errors=True)
        self.process = self.profile = self.endpoint = None
        self.served = 0

    def _start(self) -> str:
        options = chromium_launch_options()
        sweep_profiles()
        self.profile = Path(tempfile.mkdtemp(prefix=PROFILE_PREFIX))
        argv = [options["executable_path"], "--headless", *PLAYWRIGHT_SWITCHES, *CHROMIUM_ARGS,
                f"--user-data-dir={self.profile}", "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0", "--no-startup-window"]
        # preexec_fn runs after setpgid (process_group), so the death signal is armed in the browser itself.
        self.process = subprocess.Popen(argv, env=options["env"], stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, process_group=0,
                                        preexec_fn=die_with_parent())
        endpoint = self._wait_for_port()
        logger.info("kept chromium started (pid %s) at %s", self.process.pid, endpoint)
        return endpoint

    def _wait_for_port(self) -> str:
        assert self.process is not None and self.profile is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        port_file = self.profile / PORT_FILE
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"kept chromium exited with {self.process.returncode} before listening")
            lines = port_file.read_text(encoding="ascii").split() if port_file.exists() else []
            if lines and lines[0].isdigit():
                self.endpoint = f"http://127.0.0.1:{lines[0]}"
                if self._alive():
                    return self.endpoint
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"kept chromium did not open its CDP endpoint within {START_TIMEOUT_S:g}s")

    def _alive(self) -> bool:
        if self.process is None or self.process.poll() is not None or self.endpoint is None:
            return False
        connection = http.client.HTTPConnection(self.endpoint.removeprefix("http://"), timeout=5)
        try:
            connection.request("GET", "/json/version")
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()


def sweep_profiles(tmp: Path | None = None) -> None:
    """Remove the profiles of kept browsers on this host that are gone (a pool process killed with SIGKILL takes
    its browser along but cannot remove the profile). Chromium's SingletonLock names its owner, `host-pid`."""
    host = socket.gethostname()
    for profile in Path(tmp or tempfile.gettempdir()).glob(f"{PROFILE_PREFIX}*"):
        try:
            owner, _, pid = os.readlink(profile / "SingletonLock").rpartition("-")
        except OSError:
            continue  # no lock: starting, or not ours to judge
        if owner == host and pid.isdigit() and not process_alive(int(pid)):
            shutil.rmtree(profile, ignore_errors=True)


_kept = KeptBrowser()  # one per pool process (a forked pool process starts with none running: see _after_fork)


def kept_browser() -> KeptBrowser:
    """This process's kept browser (not started until its `url()` is asked for)."""
    return _kept


@contextmanager
def browser_for(queue: str | None) -> Iterator[None]:
    """Around a task delivered on `queue`: on the browser queue, `HARVESTER_BROWSER_CDP_URL` names the kept
    browser in this process's environment (what the task's children inherit) while the task runs. A kept browser
    that cannot start only costs a warning: the children launch their own."""
    if queue != BROWSER_QUEUE:
        yield
        return
    previous = os.environ.get(CDP_URL_ENV)
    try:
        os.environ[CDP_URL_ENV] = _kept.url()
    except (OSError, RuntimeError) as error:
        logger.warning("no kept chromium (%s); this task's children launch their own", error)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(CDP_URL_ENV, None)
        else:
            os.environ[CDP_URL_ENV] = previous


def _after_fork() -> None:
    # A pool process forked from a parent that held a kept browser must not kill or reuse the parent's.
    global _kept
    _kept = KeptBrowser()


@worker_process_shutdown.connect
def _on_shutdown(**_: Any) -> None:
    _kept.stop()


os.register_at_fork(after_in_child=_after_fork)
atexit.register(lambda: _kept.stop())
