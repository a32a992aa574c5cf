"""Email over SMTP (stdlib smtplib, in a worker thread so the event loop never blocks)."""

from __future__ import annotations

import asyncio
import smtplib
import time
from email.message import EmailMessage

from services.notify.adapters.channels import Outgoing
from services.notify.domain.addresses import AddressError, check_mailbox
from services.notify.domain.delivery import Attempt
from services.notify.domain.subscriptions import Subscription


class EmailChannel:
    def __init__(self, host: str, port: int, sender: str, timeout: float = 10.0) -> None:
        self._host = host
        self._port = port
        self._sender = sender
        self._timeout = timeout

    async def send(self, subscription: Subscription, message: Outgoing) -> Attempt:
        try:
            check_mailbox(subscription.address)  # rows from before addresses were checked
        except AddressError as exc:
            return Attempt(False, None, f"address {exc}", 0.0, permanent=True)
        mail = EmailMessage()
        mail["From"] = self._sender
        mail["To"] = subscription.address
        mail["Subject"] = message.subject(subscription.languages)
        mail["Message-ID"] = f"<{message.delivery_id}@airwarn>"  # a resend is recognisable
        mail.set_content(message.as_text(subscription.languages))
        started = time.perf_counter()
        try:
            await asyncio.to_thread(self._send, mail)
        except (OSError, smtplib.SMTPException) as exc:
            return Attempt(
                False,
                None,
                f"{type(exc).__name__}: {exc}"[:200],
                (time.perf_counter() - started) * 1000,
            )
        return Attempt(True, 250, None, (time.perf_counter() - started) * 1000)

    def _send(self, mail: EmailMessage) -> None:
        with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as smtp:
            smtp.send_message(mail)
