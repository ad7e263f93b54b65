"""The SMTP intake: an aiosmtpd listener that answers 250 only once a message is durable in the spool."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import socket
import ssl
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiosmtpd.controller import Controller

from gateway.core.addresses import smtp_accepts
from gateway.core.config import Config, SmtpConfig, TrustConfig, parse_host_port
from gateway.core.domains import domain_of
from gateway.core.errors import ConfigError, SpoolError, StorageFull
from gateway.core.listen import bind_listener
from gateway.core.values import Envelope
from gateway.intake.smtp_data import BulkDataSMTP
from gateway.mail.peek import peek_from_address, peek_message_id
from gateway.spool import Spool
from gateway.trust.policy import domain_action

log = logging.getLogger(__name__)

REPLY_OK = "250 2.1.5 OK"
REPLY_QUEUED = "250 2.0.0 Queued as {spool_id}"
REPLY_UNKNOWN_RECIPIENT = "550 5.1.1 <{address}>: recipient not accepted here"
REPLY_TOO_MANY_RECIPIENTS = "452 4.5.3 Too many recipients"
REPLY_TRY_LATER = "451 4.3.0 Cannot store the message now, try again later"
REPLY_NO_ROOM = "452 4.3.1 Insufficient system storage, try again later"
REPLY_SENDER_REFUSED = "550 5.7.1 Mail from {domain} is not accepted here"
IDENT = "gateway ESMTP"
SPOOL_THREADS = 8
DRAIN_POLL = 0.05  # seconds between looks at the sessions still in DATA while draining

OnSpooled = Callable[[str], None]


class SpoolingHandler:
    """aiosmtpd handler: checks recipients, then writes each message to the spool and nothing more."""

    def __init__(
        self,
        smtp: SmtpConfig,
        spool: Spool,
        executor: ThreadPoolExecutor | None = None,
        on_spooled: OnSpooled | None = None,
        trust: TrustConfig | None = None,
    ) -> None:
        self.trust = trust
        self.smtp = smtp
        self.max_recipients = smtp.max_recipients
        self.spool = spool
        self.executor = executor
        self.on_spooled = on_spooled

    def accepts(self, address: str) -> bool:
        """True if the address is one of ours (by address, with an extension, or by whole domain)."""
        return smtp_accepts(address, self.smtp)

    async def handle_RCPT(self, server, session, envelope, address: str, rcpt_options: list[str]) -> str:
        if len(envelope.rcpt_tos) >= self.max_recipients:
            log.info("smtp %s: rejected recipient %s: more than %d", _peer(session), address, self.max_recipients)
            return REPLY_TOO_MANY_RECIPIENTS
        if not self.accepts(address):
            log.info("smtp %s: rejected unknown recipient %s (from %s)", _peer(session), address, envelope.mail_from)
            return REPLY_UNKNOWN_RECIPIENT.format(address=address)
        if not self.spool.has_room():  # said before DATA, so the client does not send the message for nothing
            log.warning("smtp %s: disk space below paths.min_free_space: deferring mail for %s", _peer(session),
                        address)
            return REPLY_NO_ROOM
        envelope.rcpt_tos.append(address)
        return REPLY_OK

    async def handle_DATA(self, server, session, envelope) -> str:
        raw: bytes = envelope.original_content or b""
        # A bounce (null reverse-path) is never refused (RFC 5321 §4.5.5): it reports on mail we sent, and a
        # refused bounce is simply lost. The worker keeps it apart from the register.
        refused = None if (envelope.mail_from or "").replace(" ", "") == "<>" else self._refused_sender(raw)
        if refused is not None:
            log.info("smtp %s <%s>: refused mail from domain %r (trust policy: reject)", _peer(session),
                     peek_message_id(raw), refused)
            return REPLY_SENDER_REFUSED.format(domain=refused.encode("ascii", "replace").decode()[:100] or "(none)")
        meta = Envelope(
            source="smtp",
            received_at=dt.datetime.now(dt.timezone.utc),
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            peer=_peer(session),
            helo=session.host_name or "",
        )
        loop = asyncio.get_running_loop()
        try:
            spool_id = await loop.run_in_executor(self.executor, self.spool.put, raw, meta)
        except StorageFull as err:
            log.warning("smtp %s <%s>: not stored, disk nearly full: %s", meta.peer, peek_message_id(raw), err)
            return REPLY_NO_ROOM
        except SpoolError as err:
            log.error("smtp %s <%s>: cannot spool message from %s: %s", meta.peer, peek_message_id(raw),
                      meta.mail_from, err)
            return REPLY_TRY_LATER
        log.info(
            "spool %s <%s>: spooled from peer %s mail_from=%s rcpt_tos=%s size=%d",
            spool_id, peek_message_id(raw), meta.peer, meta.mail_from, ",".join(meta.rcpt_tos), len(raw),
        )
        self._notify(spool_id)
        return REPLY_QUEUED.format(spool_id=spool_id)

    def _refused_sender(self, raw: bytes) -> str | None:
        """The From domain when the trust policy says "reject" for it, else None (the worker decides later)."""
        if self.trust is None or not (self.trust.other_action == "reject" or any(
                entry.partition("=")[2].strip() == "reject" for entry in self.trust.domain_overrides)):
            return None
        domain = domain_of(peek_from_address(raw))
        return domain if domain_action(domain, self.trust) == "reject" else None

    def _notify(self, spool_id: str) -> None:
        if self.on_spooled is None:
            return
        try:
            self.on_spooled(spool_id)
        except Exception:  # noqa: BLE001 - the message is safe; a wake-up failure must not turn 250 into an error
            log.exception("smtp: on_spooled callback failed for %s", spool_id)


def _peer(session) -> str:
    peer = session.peer
    if isinstance(peer, tuple) and len(peer) >= 2:
        return f"{peer[0]}:{peer[1]}"
    return str(peer or "")


def build_tls_context(smtp: SmtpConfig) -> ssl.SSLContext | None:
    """A server TLS context from the configured PEM files, or None when TLS is not configured."""
    if not (smtp.tls_cert and smtp.tls_key):
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(smtp.tls_cert, smtp.tls_key)
    except (OSError, ssl.SSLError) as err:
        raise ConfigError(f"smtp.tls_cert/smtp.tls_key: cannot load {smtp.tls_cert}: {err}") from err
    return context


class _Controller(Controller):
    """aiosmtpd's threaded controller serving on a socket we bound ourselves (clear errors, port 0 works), able
    to drain its sessions before it stops."""

    def __init__(self, handler: SpoolingHandler, sock: socket.socket, **kwargs: Any) -> None:
        host, port = sock.getsockname()[:2]
        super().__init__(handler, hostname=host, port=port, **kwargs)
        self._sock = sock
        self.sessions: set[BulkDataSMTP] = set()

    def factory(self) -> BulkDataSMTP:
        return BulkDataSMTP(self.handler, sessions=self.sessions, **self.SMTP_kwargs)

    async def drain(self, timeout: float) -> int:
        """Close the listener, let sessions in DATA finish (up to ``timeout`` s), 421 the others; returns how many
        were still in DATA when the time was up."""
        if self.server is not None:
            self.server.close()
        for session in list(self.sessions):
            session.drain()
        deadline = self.loop.time() + timeout
        while any(s.in_data for s in self.sessions) and self.loop.time() < deadline:
            await asyncio.sleep(DRAIN_POLL)
        return sum(1 for s in self.sessions if s.in_data)

    def _create_server(self):
        return self.loop.create_server(self._factory_invoker, sock=self._sock, ssl=self.ssl_context)


class SmtpIntake:
    """The SMTP listener with its own event-loop thread; start() binds, stop() closes."""

    def __init__(self, config: Config, spool: Spool, on_spooled: OnSpooled | None = None) -> None:
        smtp = config.smtp
        self.host, self.port = parse_host_port(smtp.listen)
        self.handler = SpoolingHandler(smtp, spool, None, on_spooled, trust=config.trust)
        self._kwargs: dict[str, Any] = dict(
            server_hostname=smtp.hostname or socket.gethostname() or "localhost",
            ident=IDENT,
            data_size_limit=smtp.max_message_size,
            timeout=smtp.idle_timeout,
            enable_SMTPUTF8=True,
            decode_data=False,
        )
        tls = build_tls_context(smtp)
        if tls is not None:
            self._kwargs.update(tls_context=tls, require_starttls=smtp.require_tls)
        self._controller: _Controller | None = None

    def start(self) -> None:
        """Bind and serve in a background thread; ListenError or ConfigError if the address cannot be used."""
        sock = bind_listener(self.host, self.port, "smtp.listen")
        self.handler.executor = ThreadPoolExecutor(max_workers=SPOOL_THREADS, thread_name_prefix="spool-put")
        controller = _Controller(self.handler, sock, **self._kwargs)
        try:
            controller.start()
        except Exception:
            sock.close()
            self._shutdown_executor()
            raise
        self._controller = controller
        self.port = controller.port
        log.info("smtp intake listening on %s:%d", self.host, self.port)

    def stop(self, drain_timeout: float = 0.0) -> None:
        """Stop listening; let transactions already in DATA finish for up to ``drain_timeout`` seconds (the others
        get 421), then close every connection and wait for pending spool writes."""
        if self._controller is not None:
            if drain_timeout > 0:
                self._drain(self._controller, drain_timeout)
            self._controller.stop()
            self._controller = None
            log.info("smtp intake stopped")
        self._shutdown_executor()

    @staticmethod
    def _drain(controller: _Controller, timeout: float) -> None:
        started = time.monotonic()
        busy = len(controller.sessions)
        try:
            cut = asyncio.run_coroutine_threadsafe(controller.drain(timeout), controller.loop).result(timeout + 5)
        except Exception as err:  # noqa: BLE001 - a failed drain must not keep the daemon from stopping
            log.error("smtp intake: drain failed (%s: %s); closing every connection", type(err).__name__, err)
            return
        log.info("smtp intake drained in %.1f s: %d session(s) open at the stop%s", time.monotonic() - started,
                 busy, f", {cut} still in DATA after {timeout:.0f} s were cut" if cut else "")

    def _shutdown_executor(self) -> None:
        if self.handler.executor is not None:
            self.handler.executor.shutdown(wait=True)
            self.handler.executor = None

    def __enter__(self) -> SmtpIntake:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
