"""What `gateway status` reports: spool queue depths, the oldest waiting message and the register's counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from gateway.core.config import Config
from gateway.core.text import vi_number
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
                   "seen_seconds_ago": round((now - h.last_seen).total_seconds(), 1),
                   "holding_since": _held_since(h.watermark, now)} for h in hosts],
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


HOLDING_AFTER = dt.timedelta(minutes=1)  # a host's oldest unsettled mail this old is worth a line


def _held_since(watermark: str | None, now: dt.datetime) -> str | None:
    """When a host's oldest unsettled mail came in, if it has held the others' numbering back for a while."""
    since = spool_id_time(watermark) if watermark else None
    return since.isoformat() if since and now - since > HOLDING_AFTER else None


def _when(text: str | None) -> str:
    """An ISO date or timestamp of the report as dd/mm/yyyy (and HH:MM:SS with its offset)."""
    if not text:
        return ""
    moment = dt.datetime.fromisoformat(text)
    if len(text) <= 10:
        return f"{moment:%d/%m/%Y}"
    return f"{moment:%d/%m/%Y %H:%M:%S} (UTC{moment:%z})".replace("(UTC+0000)", "(UTC)")


def render_status(status: dict[str, Any], say: Callable[[str], object] = str) -> str:
    """The status as lines for a terminal (in Vietnamese; queue folder names as they are on disk). ``say`` puts an
    IMAP account's last error (English from the server, imaplib or the socket) as people read it: the CLI passes
    web/reasons.translate, which sits above this layer."""
    queues = status["queues"]
    lines = [f"hàng đợi:     incoming/ {queues['incoming']}, claimed/ {queues['claimed']}, "
             f"deferred/ {queues['deferred']}, bad/ {queues['bad']}, quarantine/ {queues['quarantine']}, "
             f"thư tự động (auto/) {queues['auto']}"]
    oldest = status["oldest_waiting"]
    lines.append(f"chờ lâu nhất: {oldest['spool_id']} đã chờ {oldest['age_seconds']:.0f} giây" if oldest
                 else "chờ lâu nhất: không có thư nào đang chờ")
    lines.append(f"hôm nay:      {vi_number(status['registered_today'])} văn bản vào sổ ({_when(status['today'])})")
    lines.append(f"gần nhất:     {_when(status['last_registered_at']) or 'chưa có'}")
    lines.append(f"OCR:          {vi_number(status.get('ocr_waiting', 0))} tệp quét chờ nhận dạng toàn văn")
    lines.append(f"tổng cộng:    {vi_number(status['documents_total'])} văn bản, {vi_number(status['messages'])} thư, "
                 f"{vi_number(status['duplicate_arrivals'])} lần đến trùng")
    for row in status["registers"]:
        lines.append(f"  sổ {row['register']} năm {row['year']}: {vi_number(row['count'])} văn bản, số đến cuối "
                     f"{row['last_number']}")
    out = status.get("outbox")
    if out:
        lines.append(f"thư đi:       {out['queued']} đang chờ gửi, {out['sending']} đang gửi, {out['sent']} đã gửi, "
                     f"{out['failed']} gửi không được")
    for account in status["imap_accounts"]:
        last = _when(account["last_success"]) or "chưa có"
        lines.append(f"IMAP {account['account']}: lần đồng bộ tốt gần nhất {last}, "
                     f"{account['awaiting_after_action']} thư chờ thao tác sau khi vào sổ")
        if account.get("polled_by"):
            lines.append(f"  đang được máy {account['polled_by']} lấy thư")
        if account["last_error"]:
            lines.append(f"  lỗi gần nhất lúc {_when(account['last_error_at'])}: {say(account['last_error'])}")
    hosts = status.get("hosts", [])
    lines.append(f"máy:          {len(hosts)} máy báo hoạt động trong 5 phút qua" if hosts else
                 "máy:          chưa máy nào báo hoạt động trong 5 phút qua")
    versions = [h["rules_version"] for h in hosts]
    usual = max(set(versions), key=versions.count) if versions else ""
    for h in hosts:
        odd = "  ← bộ quy tắc khác các máy khác" if h["rules_version"] != usual else ""
        lines.append(f"  {h['name']}: phiên bản {h['version']}, quy tắc {h['rules_version'] or '(không có)'}, "
                     f"báo cách đây {h['seen_seconds_ago']:.0f} giây{odd}")
        if h.get("holding_since"):
            lines.append(f"    đang giữ số đến của các máy cho thư nhận từ {_when(h['holding_since'])} chưa vào sổ xong")
    return "\n".join(lines)
