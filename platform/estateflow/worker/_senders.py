"""Where notifications go: a structured log line, or e-mail over SMTP.

Who receives an e-mail: the addresses configured for the notified role, in
``ESTATEFLOW_NOTIFY_TO`` (``role=addr[,addr];estate/role=addr``; an ``estate/role``
entry wins over a plain ``role`` one). Staff accounts have no e-mail address in the
database yet, and estates usually give each role a shared mailbox (the customer-service
desk, the project manager's office), so the mapping is configuration, not schema.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage

from estateflow.services import Notification

log = logging.getLogger("estateflow.worker.notify")

#: Environment variables the SMTP sender reads.
SMTP_HOST, SMTP_PORT, SMTP_FROM = (
    "ESTATEFLOW_SMTP_HOST",
    "ESTATEFLOW_SMTP_PORT",
    "ESTATEFLOW_SMTP_FROM",
)
SMTP_USER, SMTP_PASSWORD = "ESTATEFLOW_SMTP_USER", "ESTATEFLOW_SMTP_PASSWORD"
SMTP_STARTTLS = "ESTATEFLOW_SMTP_STARTTLS"
NOTIFY_TO = "ESTATEFLOW_NOTIFY_TO"


class LogSender:
    """Writes one log line per notification (logger ``estateflow.worker.notify``), with
    the notification's fields in ``extra`` for a structured handler."""

    async def send(self, notification: Notification) -> None:
        p = notification.payload
        fields = {
            "key": notification.key,
            "estate": notification.estate_id,
            "case": notification.case_id,
            "number": p.get("number"),
            "procedure": p.get("procedure"),
            "role": p.get("role"),
            "reason": p.get("reason"),
            "task": p.get("task_id"),
        }
        log.info(
            "notify " + " ".join(f"{k}={v}" for k, v in fields.items() if v is not None),
            extra={"notification": fields},
        )


def parse_addresses(text: str) -> dict[str, tuple[str, ...]]:
    """``"cs_supervisor=a@x,b@x; sunshine/project_manager=pm@x"`` as a mapping."""
    out: dict[str, tuple[str, ...]] = {}
    for entry in text.replace("\n", ";").split(";"):
        if not entry.strip():
            continue
        role, sep, addresses = entry.partition("=")
        if not sep or not role.strip():
            raise ValueError(f"{NOTIFY_TO}: expected role=address, got {entry.strip()!r}")
        out[role.strip()] = tuple(a.strip() for a in addresses.split(",") if a.strip())
    return out


@dataclass(kw_only=True)
class SmtpSender:
    """Sends each notification as one e-mail through an SMTP server (in a thread).

    The message carries the idempotency key in ``X-EstateFlow-Key`` and a ``Message-ID``
    derived from it, so a copy sent again after a crash is recognisably the same message.
    """

    host: str
    port: int = 25
    sender: str = "estateflow@localhost"
    user: str = ""
    password: str = ""
    starttls: bool = False
    timeout: float = 30.0
    addresses: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SmtpSender:
        env = os.environ if environ is None else environ
        host = env.get(SMTP_HOST, "")
        if not host:
            raise ValueError(f"{SMTP_HOST} is not set: say which SMTP server to use")
        return cls(
            host=host,
            port=int(env.get(SMTP_PORT) or 25),
            sender=env.get(SMTP_FROM) or "estateflow@localhost",
            user=env.get(SMTP_USER, ""),
            password=env.get(SMTP_PASSWORD, ""),
            starttls=env.get(SMTP_STARTTLS, "") in ("1", "true", "yes"),
            addresses=parse_addresses(env.get(NOTIFY_TO, "")),
        )

    def recipients(self, notification: Notification) -> tuple[str, ...]:
        role = notification.role or ""
        scoped = self.addresses.get(f"{notification.estate_id}/{role}")
        return scoped if scoped is not None else self.addresses.get(role, ())

    def message(self, notification: Notification, to: tuple[str, ...]) -> EmailMessage:
        p = notification.payload
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = ", ".join(to)
        subject = f"[{notification.estate_id}] {p.get('number', '')} {p.get('procedure', '')}"
        msg["Subject"] = f"{subject}: {p.get('reason', notification.kind)}"
        digest = hashlib.sha256(notification.key.encode()).hexdigest()[:32]
        msg["Message-ID"] = f"<{digest}@estateflow>"
        msg["X-EstateFlow-Key"] = notification.key
        lines = [
            f"Case {p.get('number', notification.case_id)} ({p.get('procedure', '')})",
            f"Reason: {p.get('reason', '')}",
            f"Role notified: {p.get('role', '')}",
        ]
        if p.get("task_id"):
            lines.append(f"Task: {p['task_id']}")
        msg.set_content("\n".join(lines) + "\n")
        return msg

    async def send(self, notification: Notification) -> None:
        to = self.recipients(notification)
        if not to:
            # Nobody to tell: retrying would not change that, so it counts as sent.
            log.warning(
                "no address for role %s (set %s); notification %s not mailed",
                notification.role,
                NOTIFY_TO,
                notification.key,
            )
            return
        await asyncio.to_thread(self._send, self.message(notification, to), to)

    def _send(self, msg: EmailMessage, to: tuple[str, ...]) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user:
                smtp.login(self.user, self.password)
            smtp.send_message(msg, to_addrs=list(to))
