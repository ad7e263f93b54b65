"""IMAP intake against a real Dovecot: fetch once, act only after registration, UIDVALIDITY, errors, IDLE."""

from __future__ import annotations

import dataclasses
import logging
import re
import threading

import imapclient
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from conftest import wait_for, write_config
from imap_fixtures import Dovecot, append, dovecot, dovecot_server, folder_flags, make_message  # noqa: F401

from gateway.cli import main
from gateway.core.config import load_config
from gateway.core.errors import ImapError
from gateway.intake.imap import AccountPoller, Backoff
from gateway.intake.imap_session import connect, probe, session
from gateway.intake.imap_status import StatusFile, load_status
from gateway.register.service import Register
from gateway.runtime.pipeline import process_batch
from gateway.spool import Spool

SEEN = b"\\Seen"


class Rig:
    """One account's poller wired to a spool and a register in tmp, with an in-process worker."""

    def __init__(self, tmp_path, server, user: str, extra: str = "", name: str = "vanthu", database_url: str = "") -> None:
        path = write_config(tmp_path, 2525, database_url, extra=server.account_toml(name, user, extra))
        self.config = load_config(path)
        self.account = self.config.imap.accounts[0]
        self.spool = Spool(self.config.spool_dir)
        self.spool.ensure()
        self.register = Register(self.config)
        self.register.upgrade()
        self.ledger = self.register.imap_ledger
        self.status = StatusFile(self.config.data_dir / "imap", name)
        self.poller = AccountPoller(self.account, self.spool, self.ledger, self.status, Backoff(first=0.2))

    def drain(self) -> int:
        """Register everything in the spool, as a worker would."""
        done = 0
        while batch := self.spool.claim_batch(8):
            done += len(process_batch(batch, self.spool, self.register, self.config))
        return done

    def sync(self, full: bool = False) -> int:
        with session(self.account) as client:
            return self.poller.sync(client, full=full)

    def scalar(self, sql: str) -> int:
        with self.register.engine.connect() as conn:
            return conn.execute(sa.text(sql)).scalar()

    def close(self) -> None:
        self.poller.close()
        self.register.close()


@pytest.fixture
def rig_factory(tmp_path, dovecot):  # noqa: F811
    rigs: list[Rig] = []

    def make(user: str, extra: str = "", name: str = "vanthu", database_url: str = "") -> Rig:
        rig = Rig(tmp_path / f"rig{len(rigs)}", dovecot, user, extra, name, database_url)
        rigs.append(rig)
        return rig

    for sub in range(3):
        (tmp_path / f"rig{sub}").mkdir()
    yield make
    for rig in rigs:
        rig.close()


def test_fetch_registers_once_marks_seen_after_registration_and_never_refetches(dovecot, rig_factory):  # noqa: F811
    user, _ = dovecot.add_user()
    append(dovecot, user, [make_message(n, "seen") for n in range(3)])
    rig = rig_factory(user)

    assert rig.sync(full=True) == 3
    assert rig.scalar("select count(*) from imap_ledger where state = 'spooled'") == 3
    assert all(SEEN not in flags for flags in folder_flags(dovecot, user).values()), "acted before registration"

    assert rig.drain() == 3
    assert rig.scalar("select count(*) from documents") == 3
    fetches = rig.poller.fetch_commands
    assert rig.sync() == 0 and rig.sync(full=True) == 0
    assert rig.poller.fetch_commands == fetches, "a second poll fetched again"
    assert all(SEEN in flags for flags in folder_flags(dovecot, user).values())
    assert rig.scalar("select count(*) from imap_ledger where state = 'done'") == 3
    assert rig.scalar("select count(*) from arrivals") == 3
    refs = {row for row in rig.register.engine.connect().execute(sa.text("select source_ref from messages")).scalars()}
    assert all(ref.startswith("vanthu/INBOX/") for ref in refs)


def test_new_mail_after_a_poll_is_fetched_alone(dovecot, rig_factory):  # noqa: F811
    user, _ = dovecot.add_user()
    append(dovecot, user, [make_message(1, "first")])
    rig = rig_factory(user, 'after_action = "keyword:GatewayDone"')
    assert rig.sync(full=True) == 1
    append(dovecot, user, [make_message(2, "second"), make_message(3, "second")])
    assert rig.sync() == 2
    rig.drain()
    rig.sync()
    assert all(b"GatewayDone" in flags and SEEN not in flags for flags in folder_flags(dovecot, user).values())
    assert rig.scalar("select count(*) from documents") == 3


@pytest.mark.parametrize("hidden", [(), ("MOVE", "UIDPLUS")], ids=["move", "copy-delete-expunge"])
def test_move_happens_only_after_registration(dovecot, rig_factory, monkeypatch, hidden):  # noqa: F811
    """Dovecot offers MOVE and UIDPLUS; hiding them from the poller exercises the COPY + EXPUNGE fallback."""
    real = imapclient.IMAPClient.has_capability
    monkeypatch.setattr(imapclient.IMAPClient, "has_capability",
                        lambda self, name: name.upper() not in hidden and real(self, name))
    user, _ = dovecot.add_user()
    append(dovecot, user, [make_message(n, "move") for n in range(2)])
    rig = rig_factory(user, 'after_action = "move:Archive"')
    rig.sync(full=True)
    assert len(folder_flags(dovecot, user)) == 2, "moved before registration"
    rig.drain()
    rig.sync()
    assert folder_flags(dovecot, user) == {}
    assert len(folder_flags(dovecot, user, "Archive")) == 2
    assert rig.sync(full=True) == 0


def test_delete_expunges_after_registration(dovecot, rig_factory):  # noqa: F811
    user, _ = dovecot.add_user()
    append(dovecot, user, [make_message(1, "delete")])
    rig = rig_factory(user, 'after_action = "delete"')
    rig.sync(full=True)
    rig.drain()
    rig.sync()
    assert folder_flags(dovecot, user) == {}
    assert rig.scalar("select count(*) from documents") == 1


def test_a_message_spooled_but_not_in_the_ledger_is_refetched_and_deduplicated(dovecot, rig_factory):  # noqa: F811
    """What a crash between the spool write and the ledger insert leaves behind: registered once all the same."""
    user, _ = dovecot.add_user()
    append(dovecot, user, [make_message(1, "crash")])
    rig = rig_factory(user)
    rig.sync(full=True)
    with rig.register.engine.begin() as conn:
        conn.execute(sa.text("delete from imap_ledger"))
    fresh = AccountPoller(rig.account, rig.spool, rig.ledger, rig.status)  # a restarted daemon
    with session(rig.account) as client:
        assert fresh.sync(client, full=True) == 1
    rig.drain()
    assert rig.scalar("select count(*) from documents") == 1
    assert rig.scalar("select count(*) from arrivals where kind = 'duplicate'") == 1
    with session(rig.account) as client:
        fresh.sync(client)
    assert all(SEEN in flags for flags in folder_flags(dovecot, user).values())


def test_uidvalidity_change_refetches_without_duplicate_documents(dovecot, rig_factory, caplog):  # noqa: F811
    user, _ = dovecot.add_user()
    folder = "Công văn đến"
    messages = [make_message(n, "epoch") for n in range(3)]
    with dovecot.client(user) as client:
        client.create_folder(folder)
    append(dovecot, user, messages, folder)
    rig = rig_factory(user, f'folders = ["{folder}"]')
    rig.sync(full=True)
    rig.drain()
    rig.sync()
    with dovecot.client(user) as client:
        before = client.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"]
        client.delete_folder(folder)
        client.create_folder(folder)
        assert client.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"] != before
    append(dovecot, user, messages, folder)

    with caplog.at_level(logging.WARNING, logger="gateway.intake.imap"):
        fresh = AccountPoller(rig.account, rig.spool, rig.ledger, rig.status)
        with session(rig.account) as client:
            assert fresh.sync(client, full=True) == 3
    assert any("new UIDVALIDITY" in r.getMessage() for r in caplog.records)
    rig.drain()
    with session(rig.account) as client:
        fresh.sync(client)
    assert rig.scalar("select count(*) from documents") == 3
    assert rig.scalar("select count(*) from arrivals where kind = 'duplicate'") == 3
    assert all(SEEN in flags for flags in folder_flags(dovecot, user, folder).values())
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="gateway.intake.imap"):
        restarted = AccountPoller(rig.account, rig.spool, rig.ledger, rig.status)
        with session(rig.account) as client:
            assert restarted.sync(client, full=True) == 0
    assert not any("new UIDVALIDITY" in r.getMessage() for r in caplog.records), "warned again after a restart"
    restarted.close()
    fresh.close()


def test_wrong_password_is_one_clear_error_and_backs_off(dovecot, tmp_path, caplog):  # noqa: F811
    user, _ = dovecot.add_user()
    (tmp_path / "rig").mkdir()
    rig = Rig(tmp_path / "rig", dovecot, user)
    (dovecot.dir / "vanthu.password").write_text("not-the-password\n")
    stop = threading.Event()
    thread = threading.Thread(target=rig.poller.run, args=(stop,))
    with caplog.at_level(logging.ERROR, logger="gateway.intake.imap"):
        thread.start()
        try:
            wait_for(lambda: (load_status(rig.status.path) or rig.status.current).last_error, 20,
                     what="the login error to be recorded")
            stop.wait(2.0)  # a tight loop would log many times meanwhile
        finally:
            stop.set()
            thread.join(10)
    rig.close()
    assert not thread.is_alive(), "the poller did not stop"
    errors = [r.getMessage() for r in caplog.records if r.name == "gateway.intake.imap" and r.levelno >= logging.ERROR]
    assert len(errors) == 1, errors
    assert "vanthu" in errors[0] and "login refused" in errors[0] and "retrying in" in errors[0]
    assert "not-the-password" not in caplog.text
    assert "login refused" in load_status(rig.status.path).last_error


def test_tls_to_a_plaintext_port_and_a_missing_folder_are_clear_errors(dovecot, tmp_path):  # noqa: F811
    user, _ = dovecot.add_user()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    tls = dataclasses.replace(Rig(tmp_path / "a", dovecot, user).account, tls="implicit")
    with pytest.raises(ImapError, match="TLS failed") as info:
        connect(tls)
    assert info.value.lasting and "vanthu" in str(info.value)
    rig = Rig(tmp_path / "b", dovecot, user, 'folders = ["Nowhere"]')
    with pytest.raises(ImapError, match="cannot select folder 'Nowhere'"):
        rig.sync()
    rig.close()


def test_cli_imap_test_reports_the_account_or_fails_clearly(dovecot, tmp_path):  # noqa: F811
    user, _ = dovecot.add_user()
    append(dovecot, user, [make_message(1, "cli")])
    good = write_config(tmp_path, 2525, extra=dovecot.account_toml("vanthu", user)
                        + dovecot.account_toml("hopthu", "nobody@example.test"))
    runner = CliRunner()
    result = runner.invoke(main, ["--config", str(good), "imap", "test", "vanthu"])
    assert result.exit_code == 0, result.output
    assert "đăng nhập được" in result.output and "IDLE" in result.output
    assert re.search(r"thư mục theo dõi INBOX: UIDVALIDITY \d+, 1 thư, 1 thư chưa đọc", result.output)
    result = runner.invoke(main, ["--config", str(good), "imap", "test", "hopthu"])
    assert result.exit_code == 1 and "hopthu" in result.output and "máy chủ từ chối đăng nhập" in result.output
    result = runner.invoke(main, ["--config", str(good), "imap", "test", "other"])
    assert result.exit_code == 4 and "Không có tài khoản IMAP 'other'" in result.output


def test_polling_without_idle_watches_several_folders(dovecot, rig_factory):  # noqa: F811
    user, _ = dovecot.add_user()
    with dovecot.client(user) as client:
        client.create_folder("Khẩn")
    rig = rig_factory(user, 'folders = ["INBOX", "Khẩn"]\nidle = false\npoll_interval = 0.3')
    stop = threading.Event()
    thread = threading.Thread(target=rig.poller.run, args=(stop,))
    thread.start()
    try:
        wait_for(lambda: rig.status.current.last_success, 20, what="the first poll")
        append(dovecot, user, [make_message(1, "poll")])
        append(dovecot, user, [make_message(2, "poll")], "Khẩn")

        def registered() -> bool:
            rig.drain()
            return rig.scalar("select count(*) from documents") == 2

        wait_for(registered, 20, 0.1, "both folders' messages to be registered")
        wait_for(lambda: all(SEEN in f for folder in ("INBOX", "Khẩn")
                             for f in folder_flags(dovecot, user, folder).values()), 20, 0.1, "\\Seen in both")
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    assert rig.scalar("select count(*) from imap_ledger where state = 'done'") == 2


def test_cli_imap_status_shows_last_success_and_error(dovecot, rig_factory):  # noqa: F811
    user, _ = dovecot.add_user()
    append(dovecot, user, [make_message(1, "status")])
    rig = rig_factory(user)
    rig.sync(full=True)
    rig.status.success(1)
    rig.status.error("imap vanthu: connection lost while IDLE")
    result = CliRunner().invoke(main, ["--config", rig.config.source, "imap", "status"])
    assert result.exit_code == 0, result.output
    assert re.search(r"vanthu: lần đồng bộ tốt gần nhất \d\d/\d\d/20\d\d .*; 1 thư chờ thao tác seen, "
                     r"0 thư đã xong", result.output), result.output
    assert "mất kết nối khi chờ thư (IDLE)" in result.output


def test_implicit_tls_and_starttls_check_the_certificate(tmp_path):
    server = Dovecot(tls=True)
    try:
        server.start()
        user, _ = server.add_user()
        ca = f'tls_ca_file = "{server.ca_file}"'
        tables = (server.account_toml("imaps", user, ca).replace(f"port = {server.port}", f"port = {server.imaps_port}")
                  .replace('tls = "none"', 'tls = "implicit"')
                  + server.account_toml("starttls", user, ca).replace('tls = "none"', 'tls = "starttls"')
                  + server.account_toml("untrusted", user).replace(f"port = {server.port}",
                                                                   f"port = {server.imaps_port}")
                  .replace('tls = "none"', 'tls = "implicit"'))
        accounts = load_config(write_config(tmp_path, 2525, extra=tables)).imap.accounts
        for account in accounts[:2]:
            assert probe(account).watched[0].name == "INBOX"
        with pytest.raises(ImapError, match="untrusted.*TLS failed.*CERTIFICATE_VERIFY_FAILED") as info:
            connect(accounts[2])
        assert info.value.lasting
    finally:
        server.cleanup()


def test_the_ledger_works_on_postgresql(dovecot, rig_factory, postgres_url):  # noqa: F811
    user, _ = dovecot.add_user()
    append(dovecot, user, [make_message(n, "pg") for n in range(2)])
    rig = rig_factory(user, database_url=postgres_url)
    assert rig.sync(full=True) == 2
    rig.drain()
    assert rig.sync(full=True) == 0
    assert rig.scalar("select count(*) from imap_ledger where state = 'done'") == 2
    assert all(SEEN in flags for flags in folder_flags(dovecot, user).values())
