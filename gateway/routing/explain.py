"""Renders a routing decision for people: every rule, matched or not, the condition that decided, the result."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from gateway.routing.conditions import SIGNATURE_NAMES
from gateway.routing.evaluate import Decision
from gateway.routing.facts import Facts
from gateway.routing.rules import RuleSet
from gateway.routing.workdays import WorkCalendar

STATES = {"matched": "KHỚP", "not-matched": "không", "skipped": "bỏ qua"}


def explain(ruleset: RuleSet, facts: Facts, decision: Decision, arrival: dt.date, calendar: WorkCalendar,
            action: Callable[[str], str] = str) -> str:
    """The explanation as lines; ``action`` says a rule's action ("name=value") as people read it."""
    lines = [
        f"bộ luật {ruleset.version} ở {ruleset.directory}: {len(ruleset.rules)} luật, "
        f"{len(ruleset.departments)} đơn vị",
        "dữ kiện:",
        f"  người gửi {facts.sender or '-'}; người nhận {', '.join(facts.recipients) or '-'}",
        f"  cơ quan ban hành {facts.organ_name or '-'} (OrganId {facts.organ_id or '-'}); "
        f"tên loại {facts.type_name or facts.type_code or '-'}",
        f"  trích yếu {facts.trich_yeu or '-'}",
        f"  tiêu đề thư {facts.subject or '-'}",
        f"  độ khẩn {facts.urgency}, độ mật {facts.secrecy}, "
        f"chữ ký số {SIGNATURE_NAMES.get(facts.signature or 'unknown', facts.signature)}, "
        f"tệp {', '.join(sorted(facts.attachment_types)) or '-'}",
        "các luật:",
    ]
    for verdict in decision.verdicts:
        where = f" ({verdict.file}:{verdict.line})" if verdict.file else ""
        decided = f"{verdict.decided_by}: " if verdict.decided_by else ""
        lines.append(f"  {STATES[verdict.state]:<8} {verdict.rule}{where}")
        lines.append(f"           {decided}{verdict.why}")
        if verdict.actions:
            lines.append(f"           → {'; '.join(map(action, verdict.actions))}")
    lines.append("kết quả:")
    if decision.quarantine:
        lines.append(f"  cách ly: {decision.quarantine} (thư không được vào sổ)")
        return "\n".join(lines)
    names = ruleset.departments
    label = lambda code: f"{code} ({names[code].name})" if code in names else code  # noqa: E731
    due = decision.deadline(arrival, calendar)
    lines += [
        f"  chủ trì  {label(decision.lead)}",
        f"  phối hợp {', '.join(map(label, decision.cooperate)) or '-'}",
        f"  để biết  {', '.join(map(label, decision.inform)) or '-'}",
        f"  hạn      {_due_text(decision, due, arrival)}",
        "  " + "; ".join(map(action, (f"priority={decision.priority}", f"tags={','.join(decision.tags) or '-'}",
                                      f"forward={str(bool(decision.forward)).lower()}",
                                      f"receipt={str(bool(decision.receipt)).lower()}"))),
    ]
    return "\n".join(lines)


def _due_text(decision: Decision, due: dt.date | None, arrival: dt.date) -> str:
    if due is None:
        return "-"
    if decision.due_days is not None:
        return f"{due:%d/%m/%Y} ({decision.due_days} ngày làm việc sau {arrival:%d/%m/%Y})"
    return f"{due:%d/%m/%Y}"
