"""Alerts delivered to real receivers on loopback: an aiohttp webhook server and a small SMTP server."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import email
import hashlib
import hmac
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from harvester.app.alerts import (
    Alert,
    AlertDeliveryFailed,
    FailedCheck,
    SmtpTarget,
    WebhookTarget,
    redact_url,
    send_email,
    send_webhook,
)

T = TypeVar("T")
PHONE = "13812345678"
DINGTALK_SECRET = "SECdingtalk-test-secret-0001"
WECOM_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"

ALERT = Alert(
    title="杭州市西湖区人民政府 留言板停止更新",
    severity="critical",
    lines=["jact_demo 已 26 小时没有新留言", f"最新一条：联系人：王小明，电话 {PHONE}，请尽快处理"],
    failures=[FailedCheck("staleness", "jact_demo", "杭州市西湖区人民政府", f"last message 26 h ago, 留言人 张三 {PHONE}"),
              FailedCheck("zero_results", "discuz_demo", "杭州19楼论坛")],
)


# --- the event loop both receivers run on -------------------------------------------------------------------

class LoopThread:
    """An asyncio loop in a daemon thread; `run` executes a coroutine there and waits for its result."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Awaitable[T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=10)  # type: ignore[arg-type]

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@pytest.fixture(scope="module")
def loop_thread() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.close()


# --- webhook receiver ---------------------------------------------------------------------------------------

@dataclass
class Posted:
    path: str
    query: dict[str, str]
    content_type: str
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw)


class WebhookReceiver:
    """Records every POST. /hook answers 200 ({"errcode":0}); /flaky 500 twice, then 200; /down always 500;
    /forbidden 403; /badkey 200 with WeCom's errcode for a wrong key; /slow answers after 0.5 s;
    /dingtalk checks DingTalk's timestamp and HMAC signature."""

    def __init__(self) -> None:
        self.posts: list[Posted] = []
        self.base_url = ""
        self._runner: web.AppRunner | None = None

    def on(self, path: str) -> list[Posted]:
        return [p for p in self.posts if p.path == path]

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{name}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"

    async def stop(self) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.posts.append(Posted(f"/{name}", dict(request.query), request.headers.get("Content-Type", ""),
                                 await request.read()))
        if name == "flaky" and len(self.on("/flaky")) <= 2 or name == "down":
            return web.json_response({"error": "upstream"}, status=500)
        if name == "forbidden":
            return web.json_response({"error": "forbidden"}, status=403)
        if name == "badkey":
            return web.json_response({"errcode": 93000, "errmsg": "invalid webhook url, hint: [xx]"})
        if name == "slow":
            await asyncio.sleep(0.5)
        if name == "dingtalk" and not _dingtalk_signature_ok(request.query):
            return web.json_response({"errcode": 310000, "errmsg": "sign not match"})
        return web.json_response({"errcode": 0, "errmsg": "ok"})


def _dingtalk_signature_ok(query: Any) -> bool:
    timestamp, sign = query.get("timestamp", ""), query.get("sign", "")
    if not timestamp.isdigit() or abs(time.time() * 1000 - int(timestamp)) > 3600_000:
        return False
    expected = hmac.new(DINGTALK_SECRET.encode(), f"{timestamp}\n{DINGTALK_SECRET}".encode(), hashlib.sha256)
    return hmac.compare_digest(base64.b64encode(expected.digest()).decode(), sign)


@pytest.fixture(scope="module")
def receiver(loop_thread: LoopThread) -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    loop_thread.run(server.start())
    yield server
    loop_thread.run(server.stop())


def _target(receiver: WebhookReceiver, path: str, **kwargs: Any) -> WebhookTarget:
    return WebhookTarget(url=f"{receiver.base_url}{path}", backoff=0.01, max_backoff=0.05, **kwargs)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- webhook tests ------------------------------------------------------------------------------------------

def test_generic_body_carries_title_severity_text_and_failures_with_phones_masked(receiver: WebhookReceiver) -> None:
    send_webhook(ALERT, _target(receiver, f"/hook?case=generic&key={WECOM_KEY}"))
    [posted] = [p for p in receiver.on("/hook") if p.query.get("case") == "generic"]
    assert posted.content_type == "application/json; charset=utf-8"
    body = posted.json
    assert set(body) == {"title", "severity", "text", "failures"}
    assert body["title"] == "杭州市西湖区人民政府 留言板停止更新"
    assert body["severity"] == "critical"
    assert body["failures"] == [
        {"check": "staleness", "platform": "jact_demo", "name": "杭州市西湖区人民政府",
         "detail": "last message 26 h ago, 留言人 张** 138****5678"},
        {"check": "zero_results", "platform": "discuz_demo", "name": "杭州19楼论坛", "detail": ""}]
    assert "最新一条：联系人：王**，电话 138****5678，请尽快处理" in body["text"]
    assert "- zero_results: discuz_demo (杭州19楼论坛)" in body["text"]
    assert PHONE.encode() not in posted.raw and "王小明".encode() not in posted.raw


def test_wecom_body_is_markdown_content(receiver: WebhookReceiver) -> None:
    send_webhook(ALERT, _target(receiver, "/hook?case=wecom", style="wecom"))
    [posted] = [p for p in receiver.on("/hook") if p.query.get("case") == "wecom"]
    body = posted.json
    assert body["msgtype"] == "markdown" and set(body["markdown"]) == {"content"}
    content = body["markdown"]["content"]
    assert content.startswith("**[CRITICAL] 杭州市西湖区人民政府 留言板停止更新**")
    assert "- `staleness` jact_demo (杭州市西湖区人民政府)" in content
    assert "138****5678" in content and PHONE not in content


def test_dingtalk_body_has_title_and_text_and_a_signature_the_receiver_accepts(receiver: WebhookReceiver) -> None:
    send_webhook(ALERT, _target(receiver, "/dingtalk?access_token=abc123", style="dingtalk", secret=DINGTALK_SECRET))
    [posted] = receiver.on("/dingtalk")
    assert posted.query["access_token"] == "abc123"
    body = posted.json
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"] == "[CRITICAL] 杭州市西湖区人民政府 留言板停止更新"
    assert "> 最新一条：联系人：王**，电话 138****5678，请尽快处理" in body["markdown"]["text"]


def test_wrong_dingtalk_secret_is_reported_through_errcode(receiver: WebhookReceiver) -> None:
    target = _target(receiver, "/dingtalk?access_token=abc123", style="dingtalk", secret="SECwrong-secret")
    with pytest.raises(AlertDeliveryFailed, match="errcode 310000: sign not match") as failed:
        send_webhook(ALERT, target)
    assert "access_token=***" in str(failed.value) and "abc123" not in str(failed.value)


def test_slack_body_is_text_only(receiver: WebhookReceiver) -> None:
    send_webhook(ALERT, _target(receiver, "/hook?case=slack", style="slack"))
    [posted] = [p for p in receiver.on("/hook") if p.query.get("case") == "slack"]
    assert list(posted.json) == ["text"]
    assert posted.json["text"].startswith("*[CRITICAL] 杭州市西湖区人民政府 留言板停止更新*\n")


def test_two_server_errors_then_success_is_delivered_on_the_third_attempt(receiver: WebhookReceiver) -> None:
    send_webhook(ALERT, _target(receiver, "/flaky"))
    attempts = receiver.on("/flaky")
    assert len(attempts) == 3
    assert len({p.raw for p in attempts}) == 1


def test_server_that_keeps_failing_raises_naming_the_redacted_url_and_status(receiver: WebhookReceiver) -> None:
    with pytest.raises(AlertDeliveryFailed) as failed:
        send_webhook(ALERT, _target(receiver, f"/down?key={WECOM_KEY}&debug=1"))
    assert str(failed.value) == (f"alert delivery to {receiver.base_url}/down?key=***&debug=1 failed "
                                 "after 3 attempts: HTTP 500")
    assert failed.value.status == "HTTP 500"
    assert len(receiver.on("/down")) == 3


def test_client_errors_are_not_retried(receiver: WebhookReceiver) -> None:
    with pytest.raises(AlertDeliveryFailed, match="failed: HTTP 403$"):
        send_webhook(ALERT, _target(receiver, "/forbidden"))
    assert len(receiver.on("/forbidden")) == 1


def test_wecom_wrong_key_answered_with_200_still_fails(receiver: WebhookReceiver) -> None:
    with pytest.raises(AlertDeliveryFailed, match=r"key=\*\*\* failed: errcode 93000: invalid webhook url"):
        send_webhook(ALERT, _target(receiver, f"/badkey?key={WECOM_KEY}", style="wecom"))


def test_slow_receiver_times_out_and_is_retried(receiver: WebhookReceiver) -> None:
    started = time.monotonic()
    with pytest.raises(AlertDeliveryFailed, match="after 2 attempts: timed out"):
        send_webhook(ALERT, _target(receiver, "/slow", timeout=0.1, attempts=2))
    assert time.monotonic() - started < 1.0
    assert len(receiver.on("/slow")) == 2


def test_unreachable_receiver_fails_after_all_attempts() -> None:
    target = WebhookTarget(url=f"http://127.0.0.1:{_free_port()}/hook?access_token=tok-9876", backoff=0.01)
    with pytest.raises(AlertDeliveryFailed, match=r"access_token=\*\*\* failed after 3 attempts: .*refused"):
        send_webhook(ALERT, target)


def test_long_wecom_alert_is_cut_to_the_4096_byte_limit(receiver: WebhookReceiver) -> None:
    lines = [f"第{i}条留言超过办理期限：杭州市西湖区人民政府转办" for i in range(400)]
    alert = Alert("超期留言", "warning", lines)
    send_webhook(alert, _target(receiver, "/hook?case=long", style="wecom"))
    [posted] = [p for p in receiver.on("/hook") if p.query.get("case") == "long"]
    content = posted.json["markdown"]["content"]
    assert 4000 < len(content.encode("utf-8")) <= 4096
    assert content.endswith("\n…(truncated)") and "> 第0条" in content


@pytest.mark.parametrize(("url", "shown"), [
    ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc-123", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***"),
    ("https://oapi.dingtalk.com/robot/send?access_token=t0k&timestamp=1&sign=x%2By",
     "https://oapi.dingtalk.com/robot/send?access_token=***&timestamp=1&sign=***"),
    ("https://hooks.slack.com/services/T000/B000/XXXXXXXX", "https://hooks.slack.com/services/***"),
    ("https://ops:hunter22@alerts.example.org/hook", "https://ops:***@alerts.example.org/hook"),
])
def test_redact_url_hides_webhook_credentials(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_webhook_target_rejects_other_schemes_and_styles() -> None:
    with pytest.raises(ValueError, match="http"):
        WebhookTarget(url="file:///etc/passwd")
    with pytest.raises(ValueError, match="style"):
        WebhookTarget(url="http://127.0.0.1/", style="teams")  # type: ignore[arg-type]


# --- SMTP receiver ------------------------------------------------------------------------------------------

@dataclass
class Mail:
    mail_from: str
    rcpt_to: list[str]
    data: bytes
    user: str | None
    tls: bool

    def parsed(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=default_policy)  # type: ignore[return-value]


@dataclass
class SmtpReceiver:
    """A minimal ESMTP server: EHLO/HELO, STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT.

    Offers STARTTLS when given `tls` (or serves implicit TLS with `implicit_tls`), requires AUTH when given
    `credentials` and refuses AUTH before TLS; answers 550 for recipients in `refuse`."""

    tls: ssl.SSLContext | None = None
    implicit_tls: bool = False
    credentials: tuple[str, str] | None = None
    refuse: frozenset[str] = frozenset()
    mails: list[Mail] = field(default_factory=list)
    connections: int = 0
    port: int = 0
    _server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._session, "127.0.0.1", 0,
                                                  ssl=self.tls if self.implicit_tls else None)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        state: dict[str, Any] = {"tls": self.implicit_tls, "user": None, "from": None, "rcpt": []}

        async def reply(text: str) -> None:
            writer.write(text.encode() + b"\r\n")
            await writer.drain()

        await reply("220 localhost ESMTP test receiver")
        while line := await reader.readline():
            verb, _, arg = line.decode("utf-8").rstrip("\r\n").partition(" ")
            handler = getattr(self, f"_cmd_{verb.lower()}", None)
            if handler is None:
                await reply("502 command not implemented")
            elif await handler(arg, state, reply, reader, writer) == "quit":
                break
        writer.close()

    async def _cmd_ehlo(self, arg: str, state: dict[str, Any], reply: Callable[[str], Awaitable[None]],
                        *_: Any) -> None:
        features = ["8BITMIME"]
        if self.tls and not state["tls"]:
            features.append("STARTTLS")
        if self.credentials:
            features.append("AUTH PLAIN")
        await reply("\r\n".join(f"250-{f}" for f in ["localhost", *features]) + "\r\n250 HELP")

    async def _cmd_helo(self, arg: str, state: dict[str, Any], reply: Callable[[str], Awaitable[None]],
                        *_: Any) -> None:
        await reply("250 localhost")

    async def _cmd_starttls(self, arg: str, state: dict[str, Any], reply: Callable[[str], Awaitable[None]],
                            reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert self.tls is not None
        await reply("220 ready to start TLS")
        await writer.start_tls(self.tls)
        state.update(tls=True, user=None, rcpt=[])

    async def _cmd_auth(self, arg: str, state: dict[str, Any], reply: Callable[[str], Awaitable[None]],
                        *_: Any) -> None:
        if self.tls and not state["tls"]:
            await reply("538 encryption required for requested authentication mechanism")
            return
        mechanism, _sep, response = arg.partition(" ")
        _authzid, user, password = base64.b64decode(response).decode("utf-8").split("\0")
        if mechanism.upper() == "PLAIN" and (user, password) == self.credentials:
            state["user"] = user
            await reply("235 2.7.0 authentication successful")
        else:
            await reply("535 5.7.8 authentication credentials invalid")

    async def _cmd_mail(self, arg: str, state: dict[str, Any], reply: Callable[[str], Awaitable[None]],
                        *_: Any) -> None:
        if self.credentials and state["user"] is None:
            await reply("530 5.7.0 authentication required")
            return
        state.update({"from": _address(arg), "rcpt": []})
        await reply("250 OK")

    async def _cmd_rcpt(self, arg: str, state: dict[str, Any], reply: Callable[[str], Awaitable[None]],
                        *_: Any) -> None:
        address = _address(arg)
        if address in self.refuse:
            await reply(f"550 5.1.1 <{address}>: mailbox unavailable")
            return
        state["rcpt"].append(address)
        await reply("250 OK")

    async def _cmd_data(self, arg: str, state: dict[str, Any], reply: Callable[[str], Awaitable[None]],
                        reader: asyncio.StreamReader, *_: Any) -> None:
        if not state["rcpt"]:
            await reply("554 no valid recipients")
            return
        await reply("354 end data with <CR><LF>.<CR><LF>")
        lines = []
        while (line := await reader.readline()) != b".\r\n":
            lines.append(line[1:] if line.startswith(b".") else line)  # undo dot-stuffing
        self.mails.append(Mail(state["from"], list(state["rcpt"]), b"".join(lines), state["user"], state["tls"]))
        await reply("250 OK queued")

    async def _cmd_rset(self, arg: str, state: dict[str, Any], reply: Callable[[str], Awaitable[None]],
                        *_: Any) -> None:
        state.update({"from": None, "rcpt": []})
        await reply("250 OK")

    async def _cmd_noop(self, arg: str, state: dict[str, Any], reply: Callable[[str], Awaitable[None]],
                        *_: Any) -> None:
        await reply("250 OK")

    async def _cmd_quit(self, arg: str, state: dict[str, Any], reply: Callable[[str], Awaitable[None]],
                        *_: Any) -> str:
        await reply("221 bye")
        return "quit"


def _address(arg: str) -> str:
    return arg.partition(":")[2].strip().split(" ")[0].strip("<>")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost: (cert.pem, key.pem)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    return folder / "cert.pem", folder / "key.pem"


@pytest.fixture
def smtp(loop_thread: LoopThread, certificate: tuple[Path, Path]) -> Iterator[Callable[..., SmtpReceiver]]:
    """Start SMTP receivers configured per test (`tls=True` gives them the test certificate)."""
    started: list[SmtpReceiver] = []

    def start(tls: bool = False, **kwargs: Any) -> SmtpReceiver:
        context = None
        if tls:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*certificate)
        server = SmtpReceiver(tls=context, **kwargs)
        loop_thread.run(server.start())
        started.append(server)
        return server

    yield start
    for server in started:
        loop_thread.run(server.stop())


@pytest.fixture
def client_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


RECIPIENTS = ("oncall@example.org", "wang@example.org")


# --- SMTP tests ---------------------------------------------------------------------------------------------

def test_starttls_login_delivers_utf8_subject_and_masked_body_to_every_recipient(
        smtp: Callable[..., SmtpReceiver], client_tls: ssl.SSLContext) -> None:
    server = smtp(tls=True, credentials=("alerts", "s3cret-pass"))
    send_email(ALERT, SmtpTarget("127.0.0.1", server.port, "harvester@example.org", RECIPIENTS,
                                 security="starttls", username="alerts", password="s3cret-pass",
                                 ssl_context=client_tls))
    [mail] = server.mails
    assert (mail.tls, mail.user, mail.mail_from) == (True, "alerts", "harvester@example.org")
    assert mail.rcpt_to == ["oncall@example.org", "wang@example.org"]
    message = mail.parsed()
    assert message["Subject"] == "[CRITICAL] 杭州市西湖区人民政府 留言板停止更新"
    assert message["To"] == "oncall@example.org, wang@example.org"
    assert message.get_content_charset() == "utf-8"
    body = message.get_content()
    assert "最新一条：联系人：王**，电话 138****5678，请尽快处理" in body
    assert "- staleness: jact_demo (杭州市西湖区人民政府) — last message 26 h ago, 留言人 张** 138****5678" in body
    assert PHONE not in body and "王小明" not in body


def test_implicit_tls_delivers(smtp: Callable[..., SmtpReceiver], client_tls: ssl.SSLContext) -> None:
    server = smtp(tls=True, implicit_tls=True, credentials=("alerts", "s3cret-pass"))
    send_email(ALERT, SmtpTarget("127.0.0.1", server.port, "harvester@example.org", ("oncall@example.org",),
                                 security="ssl", username="alerts", password="s3cret-pass", ssl_context=client_tls))
    assert [m.parsed()["Subject"] for m in server.mails] == ["[CRITICAL] 杭州市西湖区人民政府 留言板停止更新"]


def test_credentials_are_never_sent_without_tls(smtp: Callable[..., SmtpReceiver]) -> None:
    server = smtp(credentials=("alerts", "s3cret-pass"))
    with pytest.raises(ValueError, match="unencrypted"):
        send_email(ALERT, SmtpTarget("127.0.0.1", server.port, "harvester@example.org", ("oncall@example.org",),
                                     security="plain", username="alerts", password="s3cret-pass"))
    assert server.connections == 0


def test_wrong_password_fails_naming_the_server_and_the_smtp_code(
        smtp: Callable[..., SmtpReceiver], client_tls: ssl.SSLContext) -> None:
    server = smtp(tls=True, credentials=("alerts", "s3cret-pass"))
    with pytest.raises(AlertDeliveryFailed) as failed:
        send_email(ALERT, SmtpTarget("127.0.0.1", server.port, "harvester@example.org", ("oncall@example.org",),
                                     username="alerts", password="wrong", ssl_context=client_tls))
    assert str(failed.value) == f"alert delivery to smtp://127.0.0.1:{server.port} failed: SMTP 535"
    assert server.mails == []


def test_untrusted_certificate_is_refused(smtp: Callable[..., SmtpReceiver]) -> None:
    server = smtp(tls=True)
    with pytest.raises(AlertDeliveryFailed, match="CERTIFICATE_VERIFY_FAILED"):
        send_email(ALERT, SmtpTarget("127.0.0.1", server.port, "harvester@example.org", ("oncall@example.org",)))
    assert server.mails == []


def test_refused_recipient_is_reported_and_the_others_still_get_the_alert(smtp: Callable[..., SmtpReceiver]) -> None:
    server = smtp(refuse=frozenset({"gone@example.org"}))
    target = SmtpTarget("127.0.0.1", server.port, "harvester@example.org",
                        ("oncall@example.org", "gone@example.org"), security="plain")
    with pytest.raises(AlertDeliveryFailed, match=r"recipients refused: \['gone@example.org'\]"):
        send_email(ALERT, target)
    assert [m.rcpt_to for m in server.mails] == [["oncall@example.org"]]


def test_unreachable_smtp_server_fails_naming_it() -> None:
    port = _free_port()
    with pytest.raises(AlertDeliveryFailed, match=f"smtp://127.0.0.1:{port} failed: .*refused"):
        send_email(ALERT, SmtpTarget("127.0.0.1", port, "harvester@example.org", ("oncall@example.org",),
                                     security="plain", timeout=2))
