"""Tests of the durable spool: put, claim, finish, fail, bad, recover, operator commands, concurrent claims."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import shutil
from pathlib import Path

import pytest

from gateway.core.errors import NotFound, SpoolError
from gateway.core.values import Envelope
from gateway.spool import Spool, SpoolEntryInfo

SUBJECT_RAW = b"Subject: =?utf-8?b?Q8O0bmcgdsSDbiBz4buRIDEyL1VCTkQtVlA=?=\r\n"  # "Công văn số 12/UBND-VP"


def make_raw(n: int = 0) -> bytes:
    return (
        b"From: a@example.test\r\nTo: vanthu@localhost\r\n" + SUBJECT_RAW + b"\r\nbody %d\r\n.\r\n" % n
    )


def make_envelope(n: int = 0) -> Envelope:
    return Envelope(
        source="smtp",
        received_at=dt.datetime(2026, 11, 25, 8, 0, n % 60, tzinfo=dt.timezone.utc),
        mail_from=f"sender{n}@example.test",
        rcpt_tos=("vanthu@localhost", "Văn.Thư@sct.example.gov.vn"),
        peer="127.0.0.1:40000",
        helo="client.test",
    )


@pytest.fixture
def spool(tmp_path: Path) -> Spool:
    s = Spool(tmp_path / "spool", max_attempts=3)
    s.ensure()
    return s


def files(directory: Path) -> list[str]:
    return sorted(os.listdir(directory))


def test_put_writes_one_complete_file(spool: Spool) -> None:
    raw = make_raw()
    spool_id = spool.put(raw, make_envelope())
    assert files(spool.incoming) == [f"{spool_id}.0.msg"]
    data = (spool.incoming / f"{spool_id}.0.msg").read_bytes()
    first, _, rest = data.partition(b"\n")
    assert first.startswith(b"GWSPOOL1 {")
    assert rest == raw
    assert files(spool.tmp_dir) == []


def test_claim_returns_fifo_and_finish_removes(spool: Spool) -> None:
    ids = [spool.put(make_raw(n), make_envelope(n)) for n in range(5)]
    assert ids == sorted(ids)
    claimed = []
    while (msg := spool.claim_next()) is not None:
        claimed.append(msg)
        assert files(spool.claimed) == [f"{msg.spool_id}.0.{os.getpid()}.msg"]  # the claimer's pid in the name
        assert spool.counts()["claimed"] == 1
        spool.finish(msg.spool_id)
    assert [m.spool_id for m in claimed] == ids
    assert claimed[2].raw == make_raw(2)
    assert claimed[2].envelope == make_envelope(2)
    assert claimed[2].attempts == 0
    assert spool.counts() == {"incoming": 0, "claimed": 0, "bad": 0, "deferred": 0, "quarantine": 0, "auto": 0}


def test_claim_sees_messages_put_after_an_earlier_listing(spool: Spool) -> None:
    first = spool.put(make_raw(1), make_envelope(1))
    spool.put(make_raw(2), make_envelope(2))
    assert spool.claim_next().spool_id == first
    late = spool.put(make_raw(3), make_envelope(3))
    got = {spool.claim_next().spool_id, spool.claim_next().spool_id}
    assert late in got
    assert spool.claim_next() is None


def test_fail_retries_then_bad_with_reason_and_traceback(spool: Spool) -> None:
    spool_id = spool.put(make_raw(), make_envelope())
    for attempt in (1, 2):
        msg = spool.claim_next()
        assert msg.attempts == attempt - 1
        assert spool.fail(spool_id, "parser exploded", "Traceback: line 1") == "incoming"
        assert files(spool.incoming) == [f"{spool_id}.{attempt}.msg"]
    assert spool.claim_next().attempts == 2
    assert spool.fail(spool_id, "parser exploded", "Traceback (most recent call last):\n  boom") == "bad"
    assert files(spool.bad) == [f"{spool_id}.msg", f"{spool_id}.reason.txt"]
    reason = (spool.bad / f"{spool_id}.reason.txt").read_text()
    assert "reason: parser exploded" in reason
    assert "attempts: 3" in reason
    assert "boom" in reason
    assert spool.counts() == {"incoming": 0, "claimed": 0, "bad": 1, "deferred": 0, "quarantine": 0, "auto": 0}
    assert spool.claim_next() is None


def test_permanent_failure_goes_straight_to_bad(spool: Spool) -> None:
    spool_id = spool.put(make_raw(), make_envelope())
    spool.claim_next()
    assert spool.fail(spool_id, "not a message at all", "", permanent=True) == "bad"
    assert spool.list("bad")[0].attempts == 1


DEAD_PID = 999_999_999


def crash_holding_claimed_files(spool: Spool) -> None:
    """Make the files this process claimed look as if a now-dead worker had claimed them."""
    for name in files(spool.claimed):
        spool_id, attempts, _pid, suffix = name.split(".")
        os.rename(spool.claimed / name, spool.claimed / f"{spool_id}.{attempts}.{DEAD_PID}.{suffix}")


def test_recover_after_crash_counts_attempts_to_bad(spool: Spool) -> None:
    spool_id = spool.put(make_raw(), make_envelope())
    for expected in (1, 2):
        assert spool.claim_next().spool_id == spool_id  # the worker "crashes" holding the file
        crash_holding_claimed_files(spool)
        fresh = Spool(spool.root, max_attempts=3)  # the restarted daemon
        assert fresh.recover() == 1
        assert files(spool.incoming) == [f"{spool_id}.{expected}.msg"]
    spool.claim_next()
    crash_holding_claimed_files(spool)
    assert Spool(spool.root).recover() == 1
    assert files(spool.claimed) == []
    (entry,) = spool.list("bad")
    assert entry.reason == "worker crashed 3 times while processing"
    assert entry.attempts == 3


def test_claim_one_given_message(spool: Spool) -> None:
    first = spool.put(make_raw(1), make_envelope(1))
    second = spool.put(make_raw(2), make_envelope(2))
    msg = spool.claim(second)
    assert msg.spool_id == second and msg.raw == make_raw(2)
    with pytest.raises(NotFound):
        spool.claim(second)
    spool.fail(second, "retry me", "")
    assert spool.claim(second).attempts == 1
    assert spool.claim_next().spool_id == first


def test_recover_only_the_files_of_a_dead_worker(spool: Spool) -> None:
    mine = spool.put(make_raw(1), make_envelope(1))
    theirs = spool.put(make_raw(2), make_envelope(2))
    spool.claim(mine)
    spool.claim(theirs)
    dead_pid = DEAD_PID
    old = next(n for n in files(spool.claimed) if n.startswith(theirs))
    os.rename(spool.claimed / old, spool.claimed / f"{theirs}.0.{dead_pid}.msg")
    assert spool.recover(owner_pid=dead_pid) == 1
    assert files(spool.incoming) == [f"{theirs}.1.msg"]
    assert [e.spool_id for e in spool.list("claimed")] == [mine]
    assert spool.recover() == 0, "a file claimed by a live process is left alone"
    spool.finish(mine)


def test_recover_deletes_stale_tmp_files_of_dead_writers(spool: Spool) -> None:
    stale = spool.tmp_dir / "1-abc.999999999.tmp"  # no such pid
    stale.write_bytes(b"half")
    live = spool.tmp_dir / f"2-abc.{os.getpid()}.tmp"
    live.write_bytes(b"being written")
    assert spool.recover() == 0
    assert files(spool.tmp_dir) == [live.name]


def test_requeue_keeps_reason_history_and_purge(spool: Spool) -> None:
    spool_id = spool.put(make_raw(), make_envelope())
    spool.claim_next()
    spool.fail(spool_id, "first failure", "tb", permanent=True)
    spool.requeue(spool_id)
    assert files(spool.incoming) == [f"{spool_id}.0.msg"]
    assert files(spool.bad) == [f"{spool_id}.reason.1.txt"]
    assert spool.counts()["bad"] == 0
    msg = spool.claim_next()
    assert msg.attempts == 0 and msg.raw == make_raw()
    spool.fail(spool_id, "second failure", "tb", permanent=True)
    assert spool.list("bad")[0].reason == "second failure"
    other = spool.put(make_raw(1), make_envelope(1))
    assert spool.purge(spool_id) == 1
    assert files(spool.bad) == []
    assert files(spool.incoming) == [f"{other}.0.msg"]  # purge never touches incoming
    with pytest.raises(NotFound):
        spool.purge(other)
    with pytest.raises(SpoolError):
        spool.purge(None, queue="incoming")


def test_purge_all_of_bad(spool: Spool) -> None:
    for n in range(3):
        spool_id = spool.put(make_raw(n), make_envelope(n))
        spool.claim_next()
        spool.fail(spool_id, "bad", "", permanent=True)
    assert spool.purge(None) == 3
    assert files(spool.bad) == []


def test_list_and_show(spool: Spool) -> None:
    spool_id = spool.put(make_raw(7), make_envelope(7))
    (info,) = spool.list("incoming")
    assert isinstance(info, SpoolEntryInfo)
    assert info.spool_id == spool_id and info.queue == "incoming" and info.attempts == 0
    assert info.subject == "Công văn số 12/UBND-VP"
    assert info.size == len(make_raw(7))
    assert info.mail_from == "sender7@example.test"
    assert info.rcpt_tos == ("vanthu@localhost", "Văn.Thư@sct.example.gov.vn")
    assert info.received_at == make_envelope(7).received_at
    shown, envelope, raw, reason = spool.show(spool_id)
    assert shown == info and envelope == make_envelope(7) and raw == make_raw(7) and reason == ""
    spool.claim_next()
    spool.fail(spool_id, "no text layer", "the traceback", permanent=True)
    shown, _, raw, reason = spool.show(spool_id)
    assert shown.queue == "bad" and shown.reason == "no text layer" and "the traceback" in reason
    assert raw == make_raw(7)
    with pytest.raises(NotFound):
        spool.show("1-nothing")
    with pytest.raises(NotFound):
        spool.requeue("1-nothing")
    with pytest.raises(NotFound):
        spool.finish("1-nothing")


def test_unwritable_spool_raises_spool_error_and_leaves_nothing(spool: Spool) -> None:
    # chmod does not stop root, so replace tmp/ with a regular file: every create under it fails (ENOTDIR)
    shutil.rmtree(spool.tmp_dir)
    spool.tmp_dir.write_bytes(b"")
    with pytest.raises(SpoolError):
        spool.put(make_raw(), make_envelope())
    assert files(spool.incoming) == []


def test_unwritable_incoming_raises_spool_error_and_cleans_tmp(spool: Spool) -> None:
    shutil.rmtree(spool.incoming)
    spool.incoming.write_bytes(b"")
    with pytest.raises(SpoolError):
        spool.put(make_raw(), make_envelope())
    assert files(spool.tmp_dir) == []


def test_spool_pickles_for_worker_processes(spool: Spool) -> None:
    import pickle

    copy = pickle.loads(pickle.dumps(spool))
    assert copy.root == spool.root and copy.max_attempts == spool.max_attempts
    spool_id = spool.put(make_raw(), make_envelope())
    assert copy.claim_next().spool_id == spool_id


def test_concurrent_puts_from_threads_are_all_durable(spool: Spool) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(lambda n: spool.put(make_raw(n), make_envelope(n)), range(64)))
    assert len(set(ids)) == 64
    assert sorted(files(spool.incoming)) == sorted(f"{i}.0.msg" for i in ids)


def _claim_all(root: str, queue: multiprocessing.Queue, ready, go) -> None:
    spool = Spool(Path(root))
    got = []
    ready.release()
    go.wait(60)
    while (msg := spool.claim_next()) is not None:
        got.append(msg.spool_id)
        spool.finish(msg.spool_id)
    queue.put(got)


def test_two_processes_never_claim_the_same_file(spool: Spool) -> None:
    ids = {spool.put(make_raw(n), make_envelope(n)) for n in range(400)}
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    ready, go = ctx.Semaphore(0), ctx.Event()
    procs = [ctx.Process(target=_claim_all, args=(str(spool.root), queue, ready, go)) for _ in range(2)]
    for proc in procs:
        proc.start()
    for _ in procs:
        assert ready.acquire(timeout=60)
    go.set()  # both start claiming at the same moment
    results = [queue.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
    first, second = (set(r) for r in results)
    assert not first & second
    assert first | second == ids
    assert sum(len(r) for r in results) == len(ids)
    assert spool.counts() == {"incoming": 0, "claimed": 0, "bad": 0, "deferred": 0, "quarantine": 0, "auto": 0}


def test_put_many_stores_a_batch_and_leaves_nothing_behind_on_failure(spool: Spool) -> None:
    ids = spool.put_many([(make_raw(n), make_envelope(n)) for n in range(5)])
    assert len(set(ids)) == 5
    assert sorted(spool.claim(spool_id).raw for spool_id in ids) == sorted(make_raw(n) for n in range(5))
    shutil.rmtree(spool.tmp_dir)
    spool.tmp_dir.write_bytes(b"not a directory")  # works as root too, unlike chmod
    with pytest.raises(SpoolError):
        spool.put_many([(make_raw(n), make_envelope(n)) for n in range(3)])
    assert files(spool.incoming) == []
