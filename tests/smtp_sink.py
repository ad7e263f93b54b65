"""A real SMTP server on 127.0.0.1 (aiosmtpd) that records what it gets and answers as a test scripts it."""

from __future__ import annotations

import threading
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller
from conftest import free_port


class SinkHandler:
    """Answers each DATA with the next scripted reply (then 250), recording accepted messages.

    ``hold`` (an Event) makes DATA wait until it is set, to catch a sender in the middle of a send.
    """

    def __init__(self, replies: list[str] | None = None) -> None:
        self.replies = list(replies or [])
        self.accepted: list[tuple[str, list[str], bytes]] = []
        self.received: list[bytes] = []  # every DATA that arrived, answered or not
        self.attempts = 0
        self.port = 0
        self.hold: threading.Event | None = None
        self.holding = threading.Event()
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        with self._lock:
            self.attempts += 1
            self.received.append(envelope.original_content)
            reply = self.replies.pop(0) if self.replies else "250 OK"
        if self.hold is not None:
            self.holding.set()
            while not self.hold.is_set():
                await asyncio.sleep(0.02)
        if reply.startswith("250"):
            with self._lock:
                self.accepted.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return reply

    def messages(self):
        return [message_from_bytes(raw, policy=policy.default) for _, _, raw in self.accepted]


class Sink:
    """The sink as a context manager; ``server_options`` go to aiosmtpd (tls_context, auth_required, ...)."""

    def __init__(self, replies: list[str] | None = None, **server_options) -> None:
        self.handler = SinkHandler(replies)
        self.port = self.handler.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **server_options)

    def __enter__(self) -> SinkHandler:
        self.controller.start()
        return self.handler

    def __exit__(self, *exc) -> None:
        if self.handler.hold is not None:
            self.handler.hold.set()
        self.controller.stop()
