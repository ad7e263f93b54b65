"""Several gateway hosts on one PostgreSQL register: heartbeats and leases, a burst through two hosts with kill -9
of one, the same Message-ID at both at once, an IMAP account whose polling host dies, and a failover of the
database itself (own primary and streaming standby, the standby promoted mid-burst). After each: every
acknowledged message registered exactly once, số đến without a gap."""

from __future__ import annotations

import dataclasses
import datetime as dt
import smtplib
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from burst import SENDER, Burst, check_once_and_gapless, official_message, registered, try_registered
from conftest import GatewayProcess, free_port, wait_for, write_config
from imap_fixtures import append, dovecot, dovecot_server, folder_flags, make_message  # noqa: F401
from pgcluster import PgCluster, server_bin
from test_numbering_order import FAST, _messages, _worker_reading
from test_register_support import make_arrival, make_config

from gateway.core.config import DatabaseConfig, HostConfig
from gateway.ops.status import collect_status, render_status
from gateway.register.service import Register

RETRY = "retry_first = 0.3\nretry_longest = 2.0"


class Hosts:
    """Gateway hosts of one test, each with its own folder, data, SMTP port and host name."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.started: list[GatewayProcess] = []

    def make(self, name: str, url: str, extra: str = "", workers: int = 1, host_extra: str = "") -> GatewayProcess:
        folder = self.root / name
        folder.mkdir()
        port = free_port()
        host = f'[host]\nname = "{name}"\nheartbeat_interval = 0.5\nimap_lease = 3\n{host_extra}\n'
        config = write_config(folder, port, url, workers, extra=host + extra, workers_extra=RETRY,
                              database_extra='blobs = "database"')
        gateway = GatewayProcess(config, port, folder / "gateway.log")
        self.started.append(gateway)
        return gateway

    def cleanup(self) -> None:
        for gateway in self.started:
            if gateway.process and gateway.process.poll() is None:
                gateway.kill9()


@pytest.fixture
def hosts(tmp_path):
    made = Hosts(tmp_path)
    yield made
    made.cleanup()


def _scalar(url: str, sql: str) -> int:
    with psycopg.connect(url.replace("+psycopg", ""), connect_timeout=3) as conn:
        return conn.execute(sql).fetchone()[0]


def _send(port: int, raw: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.sendmail(SENDER, ["vanthu@localhost"], raw)


# -- heartbeats and leases ----------------------------------------------------------------------------------


def test_a_lease_has_one_holder_and_passes_on_when_it_runs_out(postgres_url, tmp_path) -> None:
    config = make_config(tmp_path, postgres_url)
    register = Register(dataclasses.replace(config, database=DatabaseConfig(url=postgres_url, blobs="database")))
    register.upgrade()
    try:
        leases = register.leases
        assert leases.acquire("imap:vanthu", "a", 0.5) is not None
        assert leases.acquire("imap:vanthu", "b", 0.5) is None  # a holds it
        assert leases.acquire("imap:vanthu", "a", 0.5) is not None  # a renews
        taken = wait_for(lambda: leases.acquire("imap:vanthu", "b", 30), 10, 0.05, "b to take the lease over")
        assert taken and leases.acquire("imap:vanthu", "a", 30) is None
        leases.release("imap:vanthu", "b")
        assert leases.acquire("imap:vanthu", "a", 30) is not None  # given up: no need to wait

        started = dt.datetime.now(dt.timezone.utc)
        register.hosts.heartbeat("mx1", "0.1.0", "rules-1", started)
        waiting_since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=3)  # mx2 reads an old scan
        register.hosts.heartbeat("mx2", "0.1.0", "rules-1", started,
                                 watermark=f"{int(waiting_since.timestamp() * 1e9):020d}-scan")
        register.hosts.heartbeat("mx3", "0.1.0", "rules-0", started)
        register.hosts.heartbeat("mx3", "0.1.0", "rules-0", started)  # a second beat updates, adds nothing
        status = collect_status(register.config)
        assert [(h["name"], h["rules_version"]) for h in status["hosts"]] == [
            ("mx1", "rules-1"), ("mx2", "rules-1"), ("mx3", "rules-0")]
        text = render_status(status)
        assert "3 máy báo hoạt động" in text
        assert [line for line in text.splitlines() if "bộ quy tắc khác" in line] == [
            next(line for line in text.splitlines() if line.strip().startswith("mx3"))]
        holding = [line for line in text.splitlines() if "đang giữ số đến" in line]
        assert len(holding) == 1 and f"{waiting_since:%d/%m/%Y %H:%M}" in holding[0]  # mx2's, the only one
        assert text.splitlines()[text.splitlines().index(holding[0]) - 1].strip().startswith("mx2")
    finally:
        register.close()


def test_hosts_starting_together_migrate_the_schema_once(postgres_url) -> None:
    from gateway.register import db

    failures: list[BaseException] = []

    def upgrade() -> None:
        engine = db.make_engine(postgres_url)
        try:
            db.upgrade(engine)
        except BaseException as err:  # noqa: BLE001 - collected for the assertion below
            failures.append(err)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=upgrade) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert failures == []
    engine = db.make_engine(postgres_url)
    try:
        db.check_schema(engine)
    finally:
        engine.dispose()


def test_outbox_rows_are_claimed_by_one_host_each(postgres_url, tmp_path) -> None:
    """Two hosts' senders (two registers, two threads each) empty one outbox: every row is taken exactly once."""
    from gateway.register.outbox import QueuedMail

    registers = [Register(dataclasses.replace(make_config(tmp_path / name, postgres_url),
                                              database=DatabaseConfig(url=postgres_url, blobs="database")))
                 for name in ("mx1", "mx2")]
    registers[0].upgrade()
    try:
        body = registers[0].blobs.put("Kính gửi: các phòng. Tổng hợp việc đến hạn.".encode())
        for n in range(40):
            registers[0].outbox.queue_prepared(QueuedMail.new("digest", f"phong{n}@sct.example.gov.vn",
                                                              "sct.example.gov.vn"), body)
        taken: list[int] = []
        lock = threading.Lock()

        def sender(register: Register) -> None:
            while (item := register.outbox.claim_next(lease_seconds=300)) is not None:
                with lock:
                    taken.append(item.id)

        threads = [threading.Thread(target=sender, args=(register,)) for register in registers for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert len(taken) == 40 and len(set(taken)) == 40
    finally:
        for register in registers:
            register.close()


def test_numbering_waits_for_the_other_hosts_watermark_until_they_fall_silent(postgres_url, tmp_path) -> None:
    """Each host numbers only below the lowest watermark the other live hosts published; a host whose heartbeat
    is older than host.numbering_wait holds nothing back any more."""
    wait = 3.0
    registers = {name: Register(dataclasses.replace(make_config(tmp_path / name, postgres_url),
                                                    database=DatabaseConfig(url=postgres_url, blobs="database"),
                                                    host=HostConfig(name=name, numbering_wait=wait)))
                 for name in ("mx1", "mx2")}
    mx1, mx2 = registers["mx1"], registers["mx2"]
    mx1.upgrade()
    try:
        started = dt.datetime.now(dt.timezone.utc)
        mx1.hosts.heartbeat("mx1", "0.1.0", "", started, "0009")
        mx2.hosts.heartbeat("mx2", "0.1.0", "", started, "0003")  # mx2 still reads what it received at 0003
        beat = time.monotonic()
        early = mx1.register_arrival(make_arrival("0002-a"), number_before="0009")
        later = mx1.register_arrival(make_arrival("0004-b"), number_before="0009")
        assert (early.arrival_number, later.arrival_number) == (1, None)  # 0004 waits for mx2's 0003
        assert mx1.number_waiting("0009") == 0
        # mx2 registers what it was reading: it takes number 2, and the one received after it number 3.
        slow = mx2.register_arrival(make_arrival("0003-c"), number_before="0009")
        assert slow.arrival_number == 2 and mx1.get_document(later.document_id).arrival_number == 3
        mx2.publish_watermark("0005")  # mx2 took another message at 0005 and has not settled it
        held = mx1.register_arrival(make_arrival("0006-d"), number_before="0009")
        assert held.arrival_number is None and mx1.number_waiting("0009") == 0
        # mx2 stops heartbeating (it died with 0005 in its spool): after numbering_wait it no longer holds mx1.
        wait_for(lambda: mx1.number_waiting("0009") == 1, 30, 0.1, "mx2's watermark to run out")
        assert time.monotonic() - beat >= wait - 0.5
        assert mx1.get_document(held.document_id).arrival_number == 4
        # Back, mx2 registers 0005: it takes the next number, after the later 0006 (what the README says).
        mx2.hosts.heartbeat("mx2", "0.1.0", "", started, "0005")
        back = mx2.register_arrival(make_arrival("0005-e"), number_before="0009")
        assert back.arrival_number == 5
        mx2.publish_watermark("0009")  # settled
        # A host's own published watermark never holds itself back: its live spool's watermark is the one.
        mx1.publish_watermark("0001")
        assert mx1.register_arrival(make_arrival("0007-f"), number_before="0009").arrival_number == 6
    finally:
        for register in registers.values():
            register.close()


# -- two hosts, one register --------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_burst_through_two_hosts_with_kill_9_of_one_and_the_same_message_at_both(hosts, postgres_url) -> None:
    first, second = hosts.make("mx1", postgres_url), hosts.make("mx2", postgres_url)
    first.start()
    second.start()
    # The same Message-ID at both hosts at the same moment (the bytes differ by a header a relay added).
    same: set[str] = set()
    for n in range(5):
        message_id, raw = official_message(n, "both")
        gate = threading.Barrier(2)

        def deliver(port: int, relay: str, raw: bytes = raw, gate: threading.Barrier = gate) -> None:
            gate.wait(10)
            _send(port, f"X-Relay: {relay}\r\n".encode() + raw)

        senders = [threading.Thread(target=deliver, args=(host.port, host.config_path.parent.name))
                   for host in (first, second)]
        for thread in senders:
            thread.start()
        for thread in senders:
            thread.join(30)
        same.add(message_id)
    # Then a burst through both; mx1's is long enough that the kill lands in its middle on a fast machine too.
    bursts = [Burst(first.port, 150, "mx1"), Burst(second.port, 60, "mx2")]
    for burst in bursts:
        burst.start(3)
    wait_for(lambda: bursts[0].acked() >= 15, 120, 0.05, "a part of the burst at mx1")
    first.kill9()  # mid-burst: what it acknowledged waits in its spool, its clients retry
    assert bursts[0].acked() < 150, "too late to test"
    first.start()  # a host that comes back registers what it had acknowledged
    for burst in bursts:
        burst.join(300)
    acknowledged = bursts[0].acknowledged | bursts[1].acknowledged | same
    wait_for(lambda: len([n for _, n in try_registered(postgres_url) if n is not None]) == len(acknowledged),
             180, 0.2, "every acknowledged message registered and numbered")
    check_once_and_gapless(registered(postgres_url), acknowledged)
    assert _scalar(postgres_url, "SELECT count(*) FROM arrivals a JOIN messages m ON m.id = a.message_id "
                                 "WHERE a.kind = 'duplicate' AND m.message_id_header LIKE 'both-%'") == 5
    # The files are in the register, not on either host's disk.
    assert _scalar(postgres_url, "SELECT count(*) FROM messages m LEFT JOIN blobs b ON b.sha256 = m.raw_blob "
                                 "WHERE b.sha256 IS NULL") == 0
    assert not any(p.is_file() for host in (first, second)
                   for p in (host.config_path.parent / "data" / "blobs").rglob("*"))
    seen = wait_for(lambda: _scalar(postgres_url, "SELECT count(*) FROM hosts"), 10, 0.1, "both heartbeats")
    assert seen == 2
    for host in (first, second):
        assert host.stop() == 0, host.log_text()[-3000:]


@pytest.mark.slow
def test_an_imap_account_is_polled_by_one_host_and_taken_over_when_it_dies(hosts, postgres_url, dovecot):  # noqa: F811
    user, _ = dovecot.add_user()
    account = dovecot.account_toml("vanthu", user, "poll_interval = 1")
    append(dovecot, user, [make_message(n, "lease") for n in range(40)])
    first, second = hosts.make("mx1", postgres_url, account), hosts.make("mx2", postgres_url, account)
    first.start()
    second.start()
    wait_for(lambda: _scalar(postgres_url, "SELECT count(*) FROM imap_ledger") > 0, 60, 0.02, "the first fetch")
    holder = _scalar(postgres_url, "SELECT holder FROM leases WHERE name = 'imap:vanthu'")
    polling, other = (first, second) if holder == "mx1" else (second, first)
    polling.kill9()  # mid-sync: what it fetched waits in its spool
    assert "fetched imap" not in other.log_text(), "both hosts fetched while both were alive"
    append(dovecot, user, [make_message(n, "lease-later") for n in range(40, 50)])
    wait_for(lambda: _scalar(postgres_url, "SELECT holder FROM leases WHERE name = 'imap:vanthu'")
             == other.config_path.parent.name, 30, 0.1, "the other host to take the account over (lease of 3 s)")
    polling.start()  # back: it registers what it had fetched, and leaves the account to the holder
    wait_for(lambda: sum(n is not None for _, n in registered(postgres_url)) == 50, 120, 0.2,
             "all 50 registered and numbered (a number waits for both hosts' watermarks)")
    wait_for(lambda: len(folder_flags(dovecot, user)) == 50 and all(b"\\Seen" in f for f in folder_flags(
        dovecot, user).values()), 60, 0.2, "\\Seen on every message")
    fetched = sum(host.log_text().count("fetched imap") for host in (first, second))
    arrivals = _scalar(postgres_url, "SELECT count(*) FROM arrivals")
    assert _scalar(postgres_url, "SELECT count(*) FROM imap_ledger") == 50
    assert fetched == arrivals  # a message fetched twice (a crash between spool and ledger) is a duplicate arrival
    assert arrivals - 50 <= 100, "more re-fetched than the one batch a crash can leave unrecorded"
    assert sorted(n for _, n in registered(postgres_url)) == list(range(1, 51))
    for host in (first, second):
        assert host.stop() == 0, host.log_text()[-3000:]


# -- a failover of PostgreSQL ---------------------------------------------------------------------------------


@pytest.fixture
def primary_and_standby():
    if server_bin() is None:
        pytest.skip("PostgreSQL server binaries are not installed")
    primary = PgCluster(free_port()).init()
    standby = PgCluster(free_port())
    try:
        primary.start()
        standby.standby_of(primary)
        standby.start()
        yield primary, standby
    finally:
        primary.remove()
        standby.remove()


def failover_url(primary: PgCluster, standby: PgCluster, database: str) -> str:
    """libpq's multi-host form: whichever of the two takes writes."""
    return (f"postgresql+psycopg://postgres@127.0.0.1:{primary.port},127.0.0.1:{standby.port}/{database}"
            "?target_session_attrs=read-write&connect_timeout=2")


@pytest.mark.slow
def test_the_primary_dies_mid_burst_and_the_promoted_standby_carries_on(hosts, primary_and_standby) -> None:
    primary, standby = primary_and_standby
    name = f"gw_{uuid.uuid4().hex[:8]}"
    primary.create_database(name)
    url = failover_url(primary, standby, name)
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{primary.port}/postgres") as conn:
        wait_for(lambda: conn.execute("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
                 .fetchone()[0] == 1, 30, 0.1, "the standby streaming")
    first, second = hosts.make("mx1", url), hosts.make("mx2", url)
    first.start()
    second.start()
    bursts = [Burst(first.port, 80, "fo1"), Burst(second.port, 80, "fo2")]
    for burst in bursts:
        burst.start(3)
    wait_for(lambda: len(try_registered(url)) >= 30, 120, 0.1, "registrations on the primary")
    primary.stop("immediate")  # the database host dies
    killed = time.monotonic()
    before = len(try_registered(f"postgresql://postgres@127.0.0.1:{standby.port}/{name}"))
    standby.promote()
    wait_for(lambda: len(try_registered(url)) > before, 120, 0.1, "a registration on the promoted standby")
    print(f"failover: first registration on the promoted standby {time.monotonic() - killed:.1f} s after the "
          "primary died")
    for burst in bursts:
        burst.join(300)
    acknowledged = bursts[0].acknowledged | bursts[1].acknowledged
    assert len(acknowledged) == 160
    wait_for(lambda: len([n for _, n in try_registered(url) if n is not None]) == 160, 240, 0.2,
             "every acknowledged message registered and numbered on the new primary")
    check_once_and_gapless(registered(url), acknowledged)
    for host in (first, second):
        assert host.stop() == 0, host.log_text()[-3000:]


def _by_order(url: str) -> list[tuple[int, int | None]]:
    """(order sent, số đến) of the documents of the order-of-receipt messages."""
    return sorted((int(message_id.split("-")[1].split("@")[0]), number) for message_id, number in try_registered(url)
                  if message_id.startswith("order-"))


def _scan_taken_by_the_first(first, second, postgres_url: str) -> list[bytes]:
    """Start both hosts, send the slow scan to the first and wait until its worker reads it; the fast mails are
    returned, for the test to send."""
    first.start()
    second.start()
    wait_for(lambda: _scalar(postgres_url, "SELECT count(*) FROM hosts WHERE watermark IS NOT NULL") == 2, 60, 0.05,
             "both hosts' watermarks")
    scan, *fast = _messages()
    _send(first.port, scan)
    wait_for(lambda: _worker_reading(first.config_path.parent / "data" / "spool"), 60, 0.02,
             "mx1's worker to take the scan")
    return fast


@pytest.mark.slow
def test_numbers_follow_the_order_of_receipt_across_hosts(hosts, postgres_url) -> None:
    """A slow scan taken by mx1 before fast DOCX mails taken by mx2: mx2 registers them first, but they wait
    for the scan's number, so số đến follow the order of receipt across both hosts, without a gap."""
    first, second = hosts.make("mx1", postgres_url), hosts.make("mx2", postgres_url)
    fast = _scan_taken_by_the_first(first, second, postgres_url)
    for raw in fast:
        _send(second.port, raw)
    wait_for(lambda: sum(1 for _, n in _by_order(postgres_url) if n is None) >= FAST // 2, 120, 0.1,
             "mx2's fast documents waiting behind mx1's scan")
    wait_for(lambda: len(_by_order(postgres_url)) == FAST + 1 and all(n for _, n in _by_order(postgres_url)),
             240, 0.2, "every document registered and numbered")
    rows = _by_order(postgres_url)
    assert rows == [(k, k + 1) for k in range(FAST + 1)], f"numbers out of the order of receipt: {rows}"
    for host in (first, second):
        assert host.stop() == 0, host.log_text()[-3000:]
    assert _scalar(postgres_url, "SELECT count(*) FROM hosts WHERE watermark IS NOT NULL") == 0  # clean stops


@pytest.mark.slow
def test_a_silent_host_holds_numbering_back_only_for_numbering_wait(hosts, postgres_url) -> None:
    """mx1 dies (kill -9) reading a scan it took first: mx2's later mail waits host.numbering_wait, then is
    numbered; the scan takes the next number when mx1 returns."""
    first = hosts.make("mx1", postgres_url, host_extra="numbering_wait = 4")
    second = hosts.make("mx2", postgres_url, host_extra="numbering_wait = 4")
    fast = _scan_taken_by_the_first(first, second, postgres_url)
    first.kill9()
    died = time.monotonic()
    for raw in fast[:3]:
        _send(second.port, raw)
    wait_for(lambda: len(_by_order(postgres_url)) == 3 and all(n for _, n in _by_order(postgres_url)), 120, 0.1,
             "mx2's documents numbered once mx1's heartbeat ran out")
    assert time.monotonic() - died >= 3.5, "numbered before mx1 had been silent for numbering_wait"
    assert _by_order(postgres_url) == [(1, 1), (2, 2), (3, 3)]
    first.start()  # back: the scan in its spool takes the next number, after the later ones
    wait_for(lambda: len(_by_order(postgres_url)) == 4 and all(n for _, n in _by_order(postgres_url)), 240, 0.2,
             "the scan registered and numbered")
    assert _by_order(postgres_url) == [(0, 4), (1, 1), (2, 2), (3, 3)]
    for host in (first, second):
        assert host.stop() == 0, host.log_text()[-3000:]
