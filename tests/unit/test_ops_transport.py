"""Back-office credentials go over https only: plain http is refused except to loopback replicas and in an
explicit staging rehearsal."""

from __future__ import annotations

import pytest

from adapters.transport import credential_transport_problem
from harvester.app.replies.adapters import AdapterPool
from harvester.app.replies.settings import ReplyConfig
from harvester.registry import load_platforms
from harvester.secrets import Secrets

ACCOUNT = {("jact_demo", "zjj"): {"username": "zjj", "password": "pw-Zjj-2026"}}


@pytest.mark.parametrize("url", ["https://szxx.example.gov.cn", "http://127.0.0.1:8601", "http://localhost:8601/x",
                                 "http://[::1]:8601", "http://127.8.9.1"])
def test_https_and_loopback_may_carry_credentials(url: str) -> None:
    assert credential_transport_problem(url) is None


@pytest.mark.parametrize("url", ["http://szxx.example.gov.cn", "http://10.0.0.5:8080", "http://localhost.example.cn",
                                 "ftp://szxx.example.gov.cn"])
def test_other_addresses_are_refused_naming_the_host(url: str) -> None:
    problem = credential_transport_problem(url)
    assert problem is not None and "refusing to send credentials" in problem
    assert url.split("//")[1].split(":")[0].split("/")[0] in problem


def pool(base_url: str, **config: object) -> AdapterPool:
    specs = load_platforms(overrides={"jact_demo": {"base_url": base_url}})
    return AdapterPool(specs, Secrets(ACCOUNT, env={}), ReplyConfig(**config))  # type: ignore[arg-type]


def test_a_push_to_a_platform_on_plain_http_is_skipped_with_the_reason() -> None:
    problem = pool("http://szxx.example.gov.cn").problem("jact_demo", "zjj")
    assert problem is not None and "plain http to http://szxx.example.gov.cn" in problem
    assert pool("https://szxx.example.gov.cn").problem("jact_demo", "zjj") is None
    assert pool("http://127.0.0.1:8601").problem("jact_demo", "zjj") is None


def test_an_explicit_staging_rehearsal_may_use_plain_http() -> None:
    staged = pool("https://szxx.example.gov.cn", staging=True,
                  staging_urls={"jact_demo": "http://staging.example.gov.cn:8601"})
    assert staged.problem("jact_demo", "zjj") is None
