"""The mail loop of issue 15 reproduced with the real daemon: the outbox relays through an MTA that hands the
unit's forward straight back to the gateway's own SMTP (the unit's mailbox is redirected to the văn thư). One
document, one quarantined loop message, and nothing more in flight."""

from __future__ import annotations

import smtplib
import threading

import sqlalchemy as sa
from aiosmtpd.controller import Controller
from conftest import free_port, wait_for
from docgen import make_message
from routing_helpers import complaint_rule, write_rules

from gateway.core.config import load_config
from gateway.register.models import Document
from gateway.spool import Spool, quarantine

OURS = "vanthu@sct.example.gov.vn"
RULES = complaint_rule(lead="TTR", forward=True)


class RedirectingRelay:
    """An MTA that delivers every mail it takes to the gateway's intake address (as a mailbox redirect would)."""

    def __init__(self, gateway_port: int) -> None:
        self.gateway_port = gateway_port
        self.relayed: list[tuple[str, list[str]]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        def relay() -> None:
            with smtplib.SMTP("127.0.0.1", self.gateway_port, timeout=30) as client:
                client.sendmail(envelope.mail_from, [OURS], envelope.original_content)

        await asyncio.get_running_loop().run_in_executor(None, relay)
        with self._lock:
            self.relayed.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 2.0.0 relayed"


def test_forward_relayed_back_to_our_own_smtp_is_one_document_and_one_loop(tmp_path, gateway_factory) -> None:
    rules = write_rules(tmp_path / "rules", RULES)
    relay_port = free_port()
    gateway = gateway_factory(workers=1, extra=f"""
[routing]
rules_dir = "{rules}"

[outbox]
relay_host = "127.0.0.1"
relay_port = {relay_port}
from_address = "{OURS}"
poll_interval = 0.1
""")
    relay = RedirectingRelay(gateway.port)
    controller = Controller(relay, hostname="127.0.0.1", port=relay_port)
    controller.start()
    try:
        gateway.start()
        raw = make_message("Đơn khiếu nại", "V/v giải quyết đơn khiếu nại của công dân", to=OURS)
        with smtplib.SMTP("127.0.0.1", gateway.port, timeout=30) as client:
            client.sendmail("vanthu@so.example.test", [OURS], raw)
        config = load_config(gateway.config_path)
        spool = Spool(config.spool_dir)
        wait_for(lambda: spool.counts()["quarantine"] == 1, timeout=60, what="the forward to come back and be held")
        engine = sa.create_engine(config.database_url)
        with engine.connect() as conn:
            assert conn.scalar(sa.select(sa.func.count()).select_from(Document)) == 1
        [held] = spool.list("quarantine")
        assert quarantine.record_of(spool, held.spool_id)["reason"].startswith("vòng lặp thư: thư mang dấu "
                                                                              "X-Gateway-Loop")
        assert held.subject.startswith("[Số đến 1/") and held.mail_from.startswith("vanthu+ob-1-")
        # nothing else is in flight: the held message queued no mail, so the loop has stopped for good
        counts = spool.counts()
        assert (counts["incoming"], counts["claimed"], counts["bad"]) == (0, 0, 0)
        assert len(relay.relayed) == 1
        engine.dispose()
        assert gateway.stop() == 0
    finally:
        controller.stop()
