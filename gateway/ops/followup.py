"""The daily follow-up (đôn đốc, ND30 Điều 20.4): each unit gets the documents it leads or co-operates on that
are overdue or due within a few working days, and the văn thư a summary; through the outbox, once per day
(a once-only key per unit and day, so several hosts or a restart never send it twice)."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from gateway.core.config import Config
from gateway.outbox.compose import ROLE_SHORT, build_digest
from gateway.register.outbox import QueuedMail
from gateway.register.service import Register
from gateway.register.views import DueItem
from gateway.routing.workdays import WorkCalendar

log = logging.getLogger(__name__)


def send_daily(register: Register, config: Config, calendar: WorkCalendar, today: dt.date) -> int:
    """Queue today's follow-up mails not queued yet; returns how many were queued now."""
    if not calendar.is_working_day(today):
        return 0
    until = calendar.add_working_days(today, config.followup.due_within) if config.followup.due_within else today
    items = register.views.due_work(until)
    by_unit: dict[str, list[DueItem]] = defaultdict(list)
    for item in items:
        by_unit[item.unit_code].append(item)
    queued = 0
    for unit, work in sorted(by_unit.items()):
        mailbox = work[0].mailbox
        if not mailbox:
            continue
        groups = [("Quá hạn", [_line(i, today) for i in work if i.due_date < today]),
                  ("Sắp đến hạn", [_line(i, today) for i in work if i.due_date >= today])]
        queued += _queue(register, config, mailbox, f"Đôn đốc giải quyết văn bản — {work[0].unit_name}",
                         [g for g in groups if g[1]], today, f"followup:{unit}:{today.isoformat()}", unit)
    if config.followup.summary_to and items:
        overdue = [i for i in items if i.due_date < today]
        summary = [(f"{name} ({unit})", [f"{sum(1 for i in work if i.due_date < today)} quá hạn, "
                                         f"{sum(1 for i in work if i.due_date >= today)} sắp đến hạn"])
                   for unit, work in sorted(by_unit.items()) for name in [work[0].unit_name]]
        summary.append(("Văn bản quá hạn", [f"{_line(i, today)} — {i.unit_name}" for i in overdue]))
        queued += _queue(register, config, config.followup.summary_to, "Tổng hợp đôn đốc giải quyết văn bản",
                         summary, today, f"followup-summary:{today.isoformat()}", "")
    if queued:
        log.info("follow-up of %s: %d mail(s) queued", today.isoformat(), queued)
    return queued


def _line(item: DueItem, today: dt.date) -> str:
    number = f"số đến {item.arrival_number}/{item.year}" if item.arrival_number else "chờ số đến"
    late = (today - item.due_date).days
    when = f"hạn {item.due_date:%d/%m/%Y}" + (f", quá {late} ngày" if late > 0 else "")
    title = " ".join(p for p in (item.code, item.subject) if p)
    return f"{number}: {title} ({item.organ_name or 'không rõ cơ quan'}; {ROLE_SHORT.get(item.role, item.role)}; " \
           f"{when})"


def _queue(register: Register, config: Config, recipient: str, heading: str, groups: list[tuple[str, list[str]]],
           today: dt.date, once_key: str, unit: str) -> int:
    if register.outbox.queued_once(once_key):
        return 0
    domain = config.outbox.from_address.rpartition("@")[2] or "localhost"
    mail = QueuedMail.new("digest", recipient, domain, unit_code=unit)
    body = build_digest(sender=config.outbox.from_address, recipient=recipient, agency=config.register.agency_name,
                        heading=heading, lines=groups, message_id=mail.message_id,
                        when=dt.datetime.now(dt.timezone.utc), day=today, loop_id=config.loop_id)
    audit = ("followup-queued", "gateway", {"unit": unit, "day": today.isoformat()})
    done = register.outbox.queue_prepared(mail, register.blobs.put(body), once_key=once_key, audit=audit)
    return int(done)
