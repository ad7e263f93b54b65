"""What `gateway status` reports: spool queue depths, the oldest waiting message and the register's counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from gateway.core.config import Config
from gateway.intake.imap_status import load_status
from gateway.register.imap_ledger import Ledger
from gateway.register.service import Register
from gateway.spool import Spool, spool_id_time


def oldest_waiting(spool: Spool, now: dt.datetime) -> dict[str, Any] | None:
    """The oldest message not yet registered (in incoming/ or claimed/) and its age in seconds, or None."""
    names = [name for name in (spool.oldest_name("incoming"), spool.oldest_name("claimed")) if name]
    if not names:
        return None
    spool_id = min(names).split(".", 1)[0]
    arrived = spool_id_time(spool_id)
    return {
        "spool_id": spool_id,
        "arrived_at": arrived.isoformat() if arrived else None,
        "age_seconds": round((now - arrived).total_seconds(), 1) if arrived else None,
    }


HOSTS_WITHIN = dt.timedelta(minutes=5)  # a host whose heartbeat is older is not listed


def collect_status(config: Config, now: dt.datetime | None = None) -> dict[str, Any]:
    """Queue depths, the oldest waiting message, documents today and per register/year, last registration."""
    now = now or dt.datetime.now(dt.timezone.utc)
    spool = Spool.from_config(config)
    register = Register.open(config)
    try:
        stats = register.stats()
        activity = register.activity()
        outbox = register.outbox.counts()
        ocr_waiting = register.ocr_jobs.pending_count()
        imap = imap_accounts(config, register.imap_ledger)
        for account in imap:
            held = register.leases.holder(f"imap:{account['account']}")
            account["polled_by"] = held[0] if held and held[1] > now else None
        hosts = register.hosts.seen(HOSTS_WITHIN)
    finally:
        register.close()
    last = activity.last_registered_at
    return {
        "queues": spool.counts(),
        "oldest_waiting": oldest_waiting(spool, now),
        "registered_today": activity.registered_on_day,
        "today": activity.day.isoformat(),
        "last_registered_at": last.isoformat() if last else None,
        "registers": stats["documents"],
        "documents_total": sum(row["count"] for row in stats["documents"]),
        "messages": stats["messages"],
        "duplicate_arrivals": stats["duplicates"],
        "imap_accounts": imap,
        "outbox": outbox,
        "ocr_waiting": ocr_waiting,
        "hosts": [{"name": h.name, "version": h.version, "rules_version": h.rules_version,
                   "started_at": h.started_at.isoformat(), "last_seen": h.last_seen.isoformat(),
                   "seen_seconds_ago": round((now - h.last_seen).total_seconds(), 1)} for h in hosts],
    }


def imap_accounts(config: Config, ledger: Ledger) -> list[dict[str, Any]]:
    """Each configured IMAP account's last success and last error, and its messages awaiting the after-action."""
    accounts = []
    for account in config.imap.accounts:
        state = load_status(config.data_dir / "imap" / f"{account.name}.json")
        counts = ledger.counts(account.name)
        accounts.append({
            "account": account.name,
            "last_success": state.last_success if state and state.last_success else None,
            "last_error": state.last_error if state and state.last_error else None,
            "last_error_at": state.last_error_at if state and state.last_error_at else None,
            "awaiting_after_action": counts.get("spooled", 0),
        })
    return accounts


def render_status(status: dict[str, Any]) -> str:
    """The status as lines for a terminal."""
    queues = status["queues"]
    lines = [f"spool:      incoming {queues['incoming']}, claimed {queues['claimed']}, deferred {queues['deferred']}, "
             f"bad {queues['bad']}, quarantine {queues['quarantine']}, thư tự động (auto) {queues['auto']}"]
    oldest = status["oldest_waiting"]
    lines.append(f"oldest:     {oldest['spool_id']} waiting {oldest['age_seconds']:.0f} s" if oldest
                 else "oldest:     nothing waiting")
    lines.append(f"today:      {status['registered_today']} document(s) registered ({status['today']})")
    lines.append(f"last:       {status['last_registered_at'] or 'never'}")
    lines.append(f"ocr:        {status.get('ocr_waiting', 0)} scanned attachment(s) waiting for full-text OCR")
    lines.append(f"total:      {status['documents_total']} document(s), {status['messages']} message(s), "
                 f"{status['duplicate_arrivals']} duplicate arrival(s)")
    for row in status["registers"]:
        lines.append(f"  {row['register']} {row['year']}: {row['count']} document(s), last số đến "
                     f"{row['last_number']}")
    out = status.get("outbox")
    if out:
        lines.append(f"outbox:     queued {out['queued']}, sending {out['sending']}, sent {out['sent']}, "
                     f"failed {out['failed']}")
    for account in status["imap_accounts"]:
        lines.append(f"imap {account['account']}: last success {account['last_success'] or 'never'}, "
                     f"{account['awaiting_after_action']} awaiting the after-action")
        if account.get("polled_by"):
            lines.append(f"  đang được máy {account['polled_by']} lấy thư")
        if account["last_error"]:
            lines.append(f"  last error at {account['last_error_at']}: {account['last_error']}")
    hosts = status.get("hosts", [])
    lines.append(f"máy:        {len(hosts)} máy báo hoạt động trong 5 phút qua" if hosts else
                 "máy:        chưa máy nào báo hoạt động trong 5 phút qua")
    versions = [h["rules_version"] for h in hosts]
    usual = max(set(versions), key=versions.count) if versions else ""
    for h in hosts:
        odd = "  ← bộ quy tắc khác các máy khác" if h["rules_version"] != usual else ""
        lines.append(f"  {h['name']}: phiên bản {h['version']}, quy tắc {h['rules_version'] or '(không có)'}, "
                     f"báo cách đây {h['seen_seconds_ago']:.0f} giây{odd}")
    return "\n".join(lines)
