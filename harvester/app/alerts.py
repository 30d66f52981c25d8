"""Alert delivery for unattended runs: a JSON webhook (generic, WeCom, DingTalk, Slack) or SMTP e-mail."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Literal
from urllib.parse import parse_qsl, quote_plus, urlencode, urlsplit, urlunsplit

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from harvester.logsafety import register_secret
from harvester.privacy import mask_text

Severity = Literal["info", "warning", "critical"]
WebhookStyle = Literal["generic", "wecom", "dingtalk", "slack"]

# Query parameters that carry a webhook's credential (WeCom `key`, DingTalk `access_token`, signed `sign`).
SECRET_PARAMS = frozenset({"key", "access_token", "token", "secret", "sign", "signature", "password", "apikey",
                           "api_key"})
REDACTED = "***"
# Platforms cut or reject longer messages: WeCom markdown content is limited to 4096 bytes, DingTalk to
# about 20000, Slack truncates text after 40000 characters.
CONTENT_LIMITS: dict[str, int] = {"wecom": 4096, "dingtalk": 20000, "slack": 39000}
_RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class FailedCheck:
    """One health check that failed for one platform; `name` is the platform's display name."""

    check: str
    platform: str
    name: str = ""
    detail: str = ""


@dataclass(frozen=True)
class Alert:
    """What an operator is told; every text is masked (`masked`) before it leaves the process."""

    title: str
    severity: Severity
    lines: list[str] = field(default_factory=list)
    failures: list[FailedCheck] = field(default_factory=list)

    def masked(self) -> Alert:
        """A copy with phones, ID numbers, e-mail and labelled names masked in every text."""
        failures = [FailedCheck(f.check, f.platform, f.name, mask_text(f.detail)) for f in self.failures]
        return Alert(mask_text(self.title), self.severity, [mask_text(line) for line in self.lines], failures)


class AlertDeliveryFailed(RuntimeError):
    """An alert did not reach its receiver; `target` is the URL with secrets redacted, `status` the answer."""

    def __init__(self, target: str, status: int | str | None, attempts: int = 1) -> None:
        self.target, self.status, self.attempts = target, status, attempts
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        super().__init__(f"alert delivery to {target} failed{tries}: {status if status is not None else 'no answer'}")


def redact_url(url: str) -> str:
    """`url` with credentials replaced by ***: secret query values, a password, a Slack hook's path."""
    parts = urlsplit(url)
    query = urlencode([(k, REDACTED if k.lower() in SECRET_PARAMS else v) for k, v in parse_qsl(parts.query, True)],
                      safe="*")
    netloc = parts.netloc
    if parts.password is not None:
        netloc = netloc.replace(f":{parts.password}@", f":{REDACTED}@", 1)
    path = parts.path
    if parts.hostname == "hooks.slack.com" and path.startswith("/services/"):
        path = "/services/" + REDACTED  # Slack puts the secret in the path
    return urlunsplit((parts.scheme, netloc, path, query, parts.fragment))


def plain_text(alert: Alert) -> str:
    """The alert as plain text: lines, then one line per failed check."""
    out = [f"[{alert.severity.upper()}] {alert.title}", "", *alert.lines]
    if alert.failures:
        out += ["", "Failed checks:"]
        out += [f"- {f.check}: {_platform(f)}" + (f" — {f.detail}" if f.detail else "") for f in alert.failures]
    return "\n".join(out)


def markdown(alert: Alert) -> str:
    """The alert as the markdown subset WeCom, DingTalk and Slack all render (headings aside)."""
    out = [f"**[{alert.severity.upper()}] {alert.title}**", "", *(f"> {line}" for line in alert.lines)]
    if alert.failures:
        out += ["", "**Failed checks**"]
        out += [f"- `{f.check}` {_platform(f)}" + (f": {f.detail}" if f.detail else "") for f in alert.failures]
    return "\n".join(out)


def webhook_body(alert: Alert, style: WebhookStyle) -> dict[str, Any]:
    """The JSON body one webhook style expects; texts are masked here."""
    alert = alert.masked()
    if style == "generic":
        failures = [{"check": f.check, "platform": f.platform, "name": f.name, "detail": f.detail}
                    for f in alert.failures]
        return {"title": alert.title, "severity": alert.severity, "text": plain_text(alert), "failures": failures}
    if style == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": _fit(markdown(alert), style)}}
    if style == "dingtalk":
        title = f"[{alert.severity.upper()}] {alert.title}"
        return {"msgtype": "markdown", "markdown": {"title": title, "text": _fit(markdown(alert), style)}}
    if style == "slack":
        return {"text": _fit(markdown(alert).replace("**", "*"), style)}
    raise ValueError(f"unknown webhook style {style!r}; expected generic, wecom, dingtalk or slack")


@dataclass(frozen=True)
class WebhookTarget:
    """Where and how to POST; `secret` signs DingTalk requests (加签). Backoff in seconds, doubling."""

    url: str = field(repr=False)
    style: WebhookStyle = "generic"
    secret: str | None = field(default=None, repr=False)
    timeout: float = 10.0
    attempts: int = 3
    backoff: float = 1.0
    max_backoff: float = 30.0

    def __post_init__(self) -> None:
        if urlsplit(self.url).scheme not in ("http", "https"):
            raise ValueError(f"webhook URL must be http(s): {redact_url(self.url)}")
        if self.style not in ("generic", "wecom", "dingtalk", "slack"):
            raise ValueError(f"unknown webhook style {self.style!r}; expected generic, wecom, dingtalk or slack")
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")


class _Transient(Exception):
    def __init__(self, status: int | str) -> None:
        super().__init__(status)
        self.status = status


def send_webhook(alert: Alert, target: WebhookTarget) -> None:
    """POST `alert` as JSON; retry timeouts, connection errors, 429 and 5xx with exponential backoff.

    Raises AlertDeliveryFailed (URL redacted) on another 4xx, when retries run out, or when WeCom or
    DingTalk answer 200 with a non-zero `errcode` (how both report a wrong key or a blocked keyword).
    """
    data = json.dumps(webhook_body(alert, target.style), ensure_ascii=False).encode("utf-8")
    url = _signed(target.url, target.secret) if target.style == "dingtalk" and target.secret else target.url
    for secret in (target.secret, *(v for k, v in parse_qsl(urlsplit(target.url).query) if k.lower() in SECRET_PARAMS)):
        register_secret(secret)
    retrying = Retrying(stop=stop_after_attempt(target.attempts), reraise=True,
                        wait=wait_exponential(multiplier=target.backoff, max=target.max_backoff),
                        retry=retry_if_exception_type(_Transient))
    try:
        answer = retrying(_post, url, data, target.timeout)
    except _Transient as exc:
        raise AlertDeliveryFailed(redact_url(target.url), exc.status, target.attempts) from None
    if target.style in ("wecom", "dingtalk") and answer.get("errcode", 0) != 0:
        raise AlertDeliveryFailed(redact_url(target.url), f"errcode {answer['errcode']}: {answer.get('errmsg', '')}")


def _post(url: str, data: bytes, timeout: float) -> dict[str, Any]:
    request = urllib.request.Request(url, data=data, method="POST",  # noqa: S310 - http(s), see WebhookTarget
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) only
            body = response.read()
    except urllib.error.HTTPError as exc:
        if exc.code in _RETRY_STATUSES:
            raise _Transient(f"HTTP {exc.code}") from None
        raise AlertDeliveryFailed(redact_url(url), f"HTTP {exc.code}") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise _Transient(str(getattr(exc, "reason", exc))) from None
    try:
        answer = json.loads(body or b"{}")
    except ValueError:
        return {}  # Slack answers "ok" as plain text
    return answer if isinstance(answer, dict) else {}


def _signed(url: str, secret: str) -> str:
    """DingTalk's 加签: timestamp in ms and base64(HMAC-SHA256(secret, "timestamp\\nsecret")) as `sign`."""
    timestamp = str(round(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = quote_plus(base64.b64encode(digest).decode())
    return f"{url}{'&' if urlsplit(url).query else '?'}timestamp={timestamp}&sign={sign}"


@dataclass(frozen=True)
class SmtpTarget:
    """An SMTP relay; `security` is "starttls" (port 587), "ssl" (implicit TLS, port 465) or "plain"."""

    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    security: Literal["plain", "starttls", "ssl"] = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    ssl_context: ssl.SSLContext | None = None


def email_message(alert: Alert, target: SmtpTarget) -> EmailMessage:
    """The alert as a UTF-8 e-mail (RFC 2047 subject, base64 body), masked."""
    alert = alert.masked()
    message = EmailMessage()
    message["Subject"] = f"[{alert.severity.upper()}] {alert.title}"
    message["From"] = target.sender
    message["To"] = ", ".join(target.recipients)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=target.sender.rpartition("@")[2] or None)
    message.set_content(plain_text(alert), charset="utf-8", cte="base64")
    return message


def send_email(alert: Alert, target: SmtpTarget) -> None:
    """Send `alert` to every recipient; raises AlertDeliveryFailed naming the server and the SMTP answer.

    Credentials are only sent over TLS: login on a "plain" connection is refused before connecting.
    """
    if target.username and target.security == "plain":
        raise ValueError("refusing to send SMTP credentials unencrypted; use security='starttls' or 'ssl'")
    where = f"smtp://{target.host}:{target.port}"
    context = target.ssl_context or ssl.create_default_context()
    try:
        if target.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(target.host, target.port, timeout=target.timeout, context=context)
        else:
            client = smtplib.SMTP(target.host, target.port, timeout=target.timeout)
        with client:
            if target.security == "starttls":
                client.starttls(context=context)
            if target.username:
                register_secret(target.password)
                client.login(target.username, target.password or "")
            refused = client.send_message(email_message(alert, target), target.sender, list(target.recipients))
    except smtplib.SMTPResponseException as exc:
        raise AlertDeliveryFailed(where, f"SMTP {exc.smtp_code}") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise AlertDeliveryFailed(where, f"all recipients refused: {sorted(exc.recipients)}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise AlertDeliveryFailed(where, str(exc) or type(exc).__name__) from None
    if refused:
        raise AlertDeliveryFailed(where, f"recipients refused: {sorted(refused)}")


def _platform(failure: FailedCheck) -> str:
    return f"{failure.platform} ({failure.name})" if failure.name else failure.platform


def _fit(text: str, style: str) -> str:
    """`text` cut at a character boundary so its UTF-8 form fits the style's limit, marked as cut."""
    limit = CONTENT_LIMITS[style]
    if len(text.encode("utf-8")) <= limit:
        return text
    marker = "\n…(truncated)"
    return text.encode("utf-8")[: limit - len(marker.encode("utf-8"))].decode("utf-8", "ignore") + marker
