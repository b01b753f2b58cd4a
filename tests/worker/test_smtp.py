"""Notifications as e-mail, through a tiny SMTP server this test runs on 127.0.0.1."""

from __future__ import annotations

import asyncio
import email
from email.message import Message

import pytest

from estateflow.services import Notification
from estateflow.worker import SmtpSender, parse_addresses, run_worker
from tests.worker._helpers import start_complaints

pytestmark = pytest.mark.anyio


class TinySmtp:
    """Just enough SMTP to take messages: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> TinySmtp:
        self.server = await asyncio.start_server(self.session, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.sockets[0].getsockname()[1]

    async def session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def reply(line: str) -> None:
            writer.write(f"{line}\r\n".encode())

        reply("220 tiny ESMTP")
        recipients: list[str] = []
        while line := (await reader.readline()).decode().rstrip("\r\n"):
            verb = line[:4].upper()
            if verb in ("EHLO", "HELO"):
                reply("250 tiny")
            elif verb == "MAIL":
                recipients = []
                reply("250 OK")
            elif verb == "RCPT":
                recipients.append(line.split(":", 1)[1].strip().strip("<>"))
                reply("250 OK")
            elif verb == "DATA":
                reply("354 go ahead")
                await writer.drain()
                body = b""
                while (chunk := await reader.readline()) != b".\r\n":
                    body += chunk[1:] if chunk.startswith(b"..") else chunk
                self.messages.append((recipients, email.message_from_bytes(body)))
                reply("250 queued")
            elif verb == "QUIT":
                reply("221 bye")
                await writer.drain()
                break
            else:  # RSET, NOOP
                reply("250 OK")
            await writer.drain()
        writer.close()


NOTE = Notification(
    key="c1:7:cs_supervisor",
    estate_id="sunshine",
    case_id="c1",
    kind="notify",
    payload={
        "role": "cs_supervisor",
        "reason": "deadline",
        "task_id": "forward-1",
        "number": "TS-2026-000001",
        "procedure": "complaint",
    },
)


async def test_smtp_sender_mails_the_role_with_the_idempotency_key():
    async with TinySmtp() as smtp:
        sender = SmtpSender.from_env(
            {
                "ESTATEFLOW_SMTP_HOST": "127.0.0.1",
                "ESTATEFLOW_SMTP_PORT": str(smtp.port),
                "ESTATEFLOW_SMTP_FROM": "desk@sunshine.example",
                "ESTATEFLOW_NOTIFY_TO": "cs_supervisor=cs@sunshine.example, boss@sunshine.example",
            }
        )
        await sender.send(NOTE)
        await sender.send(NOTE)  # sent again after a crash: the same message, recognisably
    assert len(smtp.messages) == 2
    (to, first), (_, second) = smtp.messages
    assert to == ["cs@sunshine.example", "boss@sunshine.example"]
    assert first["From"] == "desk@sunshine.example"
    assert first["X-EstateFlow-Key"] == "c1:7:cs_supervisor"
    assert first["Message-ID"] == second["Message-ID"]
    assert "TS-2026-000001" in first["Subject"] and "deadline" in first["Subject"]
    assert "forward-1" in first.get_payload()


async def test_an_estate_entry_wins_and_a_role_without_address_is_not_mailed():
    async with TinySmtp() as smtp:
        sender = SmtpSender(
            host="127.0.0.1",
            port=smtp.port,
            addresses=parse_addresses(
                "cs_supervisor=all@example.com; sunshine/cs_supervisor=sun@example.com"
            ),
        )
        await sender.send(NOTE)
        await sender.send(
            Notification(
                key="c1:8:leadership",
                estate_id="sunshine",
                case_id="c1",
                kind="notify",
                payload={"role": "leadership"},
            )
        )
    assert [to for to, _ in smtp.messages] == [["sun@example.com"]]


async def test_the_worker_mails_every_notification_of_a_round(services, clock):
    await start_complaints(services, 2)
    clock.advance(minutes=11)
    async with TinySmtp() as smtp:
        sender = SmtpSender(
            host="127.0.0.1",
            port=smtp.port,
            addresses=parse_addresses("cs_supervisor=cs@example.com;front_desk=desk@example.com"),
        )
        stats = await run_worker(services, sender=sender, until_idle=True)
    assert stats.sent == 4
    keys = sorted(message["X-EstateFlow-Key"] for _, message in smtp.messages)
    async with services.store.unit_of_work(writes=False) as uow:
        stored = sorted(await uow.tx.fetch('SELECT "key" FROM "outbox"'), key=lambda r: r["key"])
    assert keys == [row["key"] for row in stored]
