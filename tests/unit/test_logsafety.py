"""The log filter: no phone, ID number, e-mail or secret reaches a handler, whichever logger logged it."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from harvester import logsafety
from harvester.logsafety import PersonalDataFilter, install, register_secret


@pytest.fixture
def root_output() -> Iterator[io.StringIO]:
    """The root logger with one real StreamHandler writing to memory (pytest's own handlers set aside)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    root.handlers = [handler]
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.handlers = saved_handlers
        root.setLevel(saved_level)
        handler.close()


@pytest.fixture(autouse=True)
def _forget_registered_secrets() -> Iterator[None]:
    saved = set(logsafety._registered)
    yield
    logsafety._registered.clear()
    logsafety._registered.update(saved)


def test_child_logger_records_are_masked_at_the_handler(root_output: io.StringIO) -> None:
    install()
    logging.getLogger("scrapy.core.scraper").debug("Scraped from <200 http://x/t/1> {'body': '%s'}",
                                                   "电话13812345678 邮箱 a.b@qq.com")
    logging.getLogger("twisted").error("身份证 %s", "110105199001011234")
    out = root_output.getvalue()
    assert "13812345678" not in out and "a.b@qq.com" not in out and "110105199001011234" not in out
    assert ("scrapy.core.scraper DEBUG Scraped from <200 http://x/t/1> "
            "{'body': '电话138****5678 邮箱 a***@qq.com'}") in out
    assert "twisted ERROR 身份证 110105********1234" in out


def test_without_the_filter_the_phone_would_leak(root_output: io.StringIO) -> None:
    logging.getLogger("scrapy.core.scraper").warning("电话13812345678")
    assert "13812345678" in root_output.getvalue()


def test_registered_and_environment_secrets_are_masked(root_output: io.StringIO,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARVESTER_JACT_PASSWORD", "hunter2-pass")
    monkeypatch.setenv("HARVESTER_RMW_TOTP_SEED", "JBSWY3DPEHPK3PXP")
    monkeypatch.setenv("HARVESTER_SECRETS_FILE", "/etc/harvester/secrets.toml")
    logging.getLogger().handlers[0].addFilter(PersonalDataFilter())
    register_secret("s3cr3t/token&x")
    logger = logging.getLogger("adapters.jact")
    logger.info("login with %s and otp seed %s", "hunter2-pass", "JBSWY3DPEHPK3PXP")
    logger.info("GET https://x/login?pw=%s", "s3cr3t%2Ftoken%26x")
    logger.info("secrets from /etc/harvester/secrets.toml")
    out = root_output.getvalue()
    assert "hunter2" not in out and "JBSWY3DPEHPK3PXP" not in out and "s3cr3t" not in out
    assert "login with [secret] and otp seed [secret]" in out
    assert "pw=[secret]" in out
    assert "secrets from /etc/harvester/secrets.toml" in out


def test_exception_text_is_masked(root_output: io.StringIO) -> None:
    install()
    try:
        raise ValueError("bad row 13812345678")
    except ValueError:
        logging.getLogger("harvester.pipelines").exception("storing failed")
    out = root_output.getvalue()
    assert "ValueError: bad row 138****5678" in out and "13812345678" not in out


def test_install_covers_every_handler_once_and_returns_the_filter() -> None:
    logger = logging.getLogger("test_logsafety.isolated")
    logger.propagate = False
    streams = [io.StringIO(), io.StringIO()]
    handlers = [logging.StreamHandler(s) for s in streams]
    for handler in handlers:
        logger.addHandler(handler)
    try:
        first = install(logger)
        assert install(logger) is first
        assert all(h.filters == [first] for h in handlers)
        logger.warning("手机 %s", "13912345678")
        assert all(s.getvalue() == "手机 139****5678\n" for s in streams)
    finally:
        for handler in handlers:
            logger.removeHandler(handler)
