"""The pipeline settles every claimed message: registered in batches, retried, or moved to bad/ with a reason."""

from __future__ import annotations

import datetime as dt

import pytest
from docgen import make_message, make_pdf

from gateway.core.config import load_config
from gateway.core.values import Envelope
from gateway.register.service import Register
from gateway.runtime.pipeline import process_batch, process_one
from gateway.spool import Spool


@pytest.fixture
def stack(tmp_path):
    config = load_config(None, {"paths.data_dir": str(tmp_path / "data"), "workers.max_attempts": 2,
                                "trust.other_action": "accept"})
    spool = Spool(config.spool_dir, config.workers.max_attempts)
    spool.ensure()
    register = Register(config)
    register.upgrade()
    yield config, spool, register
    register.close()


def spool_messages(spool: Spool, raws: list[bytes]) -> list[str]:
    envelope = Envelope(source="import", received_at=dt.datetime.now(dt.timezone.utc))
    return [spool.put(raw, envelope) for raw in raws]


def good(number: int) -> bytes:
    return make_message(f"Công văn số {number}/UBND-VP", "Kính gửi.", message_id=f"<p{number}@example.gov.vn>",
                        attachments=[(f"cv{number}.pdf", make_pdf([f"Văn bản {number}"]), "application/pdf")])


def test_a_batch_registers_in_order_and_junk_goes_to_bad_alone(stack) -> None:
    config, spool, register = stack
    first = good(1)
    spool_messages(spool, [first, b"\x00\x01 junk", good(2), first])  # the last: the same message again
    outcomes = process_batch(spool.claim_batch(8), spool, register, config)
    kinds = [o.registration.outcome if o.registration else "bad" for o in outcomes]
    assert sorted(kinds) == ["bad", "duplicate", "registered", "registered"]
    numbers = sorted(o.registration.arrival_number for o in outcomes
                     if o.registration and o.registration.outcome == "registered")
    assert numbers == [1, 2]
    assert spool.counts() == {"incoming": 0, "claimed": 0, "bad": 1, "deferred": 0, "quarantine": 0, "auto": 0}
    assert "cannot parse" in spool.list("bad")[0].reason


def test_when_the_shared_transaction_fails_each_message_is_settled_alone(stack, monkeypatch) -> None:
    config, spool, register = stack
    spool_messages(spool, [good(3), good(4)])

    def refuse(items, on_registered=None):
        raise RuntimeError("the database went away for a moment")

    monkeypatch.setattr(register, "register_batch", refuse)
    outcomes = process_batch(spool.claim_batch(8), spool, register, config)
    assert [o.registration.arrival_number for o in outcomes] == [1, 2]
    assert spool.counts()["claimed"] == 0


def test_a_failing_register_is_retried_then_sent_to_bad_with_its_traceback(stack, monkeypatch) -> None:
    config, spool, register = stack
    raw = good(5)
    (spool_id,) = spool_messages(spool, [raw])

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(register, "register_arrival", broken)
    first = process_one(spool.claim_next(), spool, register, config)
    assert not first.to_bad and spool.counts()["incoming"] == 1
    second = process_one(spool.claim_next(), spool, register, config)
    assert second.to_bad
    _info, _envelope, kept, reason = spool.show(spool_id)
    assert kept == raw and "disk on fire" in reason and "Traceback" in reason


def test_a_database_outage_defers_messages_instead_of_failing_them(stack, monkeypatch) -> None:
    """A fault outside the message waits with back-off (Postfix's deferred queue): never bad/, never an attempt."""
    from gateway.core.errors import RegisterUnavailable
    from gateway.spool import deferral

    config, spool, register = stack
    ids = spool_messages(spool, [good(6), good(7)])

    def away(*args, **kwargs):
        raise RegisterUnavailable("register read failed: OperationalError: connection refused")

    monkeypatch.setattr(register, "register_batch", away)
    outcomes = process_batch(spool.claim_batch(8), spool, register, config)
    assert [(o.deferred, o.to_bad) for o in outcomes] == [(True, False), (True, False)]
    assert spool.counts()["deferred"] == 2 and spool.counts()["bad"] == 0
    assert [e.reason for e in spool.list("deferred")] == ["RegisterUnavailable: register read failed: "
                                                           "OperationalError: connection refused"] * 2
    assert spool.watermark() == min(ids), "a deferred message still holds back the numbers after it"
    assert deferral.release_due(spool) == 0  # not due yet: the first retry comes after retry_first seconds
    monkeypatch.undo()
    assert deferral.retry_now(spool) == 2
    outcomes = process_batch(spool.claim_batch(8), spool, register, config)
    assert [o.registration.arrival_number for o in outcomes] == [1, 2]
    assert spool.counts()["deferred"] == 0 and not list(spool.deferred.iterdir()), "the deferral records are gone"


def test_a_message_deferred_past_its_lifetime_goes_to_bad_with_the_last_error(stack) -> None:
    from gateway.spool import deferral

    config, spool, register = stack
    (spool_id,) = spool_messages(spool, [good(8)])
    policy = deferral.RetryPolicy(first=10, longest=600, lifetime=3600)
    start = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.timezone.utc)
    spool.claim_next()
    assert deferral.defer(spool, spool_id, "StorageFull: no space", policy, now=start) == "deferred"
    record = spool.record("deferred", spool_id)
    assert record["deferrals"] == 1 and record["next_attempt_at"] == (start + dt.timedelta(seconds=10)).isoformat()
    assert deferral.release_due(spool, start + dt.timedelta(seconds=9)) == 0
    assert deferral.release_due(spool, start + dt.timedelta(seconds=10)) == 1
    spool.claim_next()
    assert deferral.defer(spool, spool_id, "StorageFull: no space", policy, now=start + dt.timedelta(seconds=20)) \
        == "deferred"
    assert spool.record("deferred", spool_id)["deferrals"] == 2  # the wait doubles: 20 s
    deferral.retry_now(spool, spool_id)
    spool.claim_next()
    assert deferral.defer(spool, spool_id, "StorageFull: still no space", policy,
                          now=start + dt.timedelta(hours=2)) == "bad"
    _info, _envelope, _raw, reason = spool.show(spool_id)
    assert "retry period 3600 s over" in reason and "still no space" in reason
