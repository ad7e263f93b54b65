"""Renders a routing decision for people: every rule, matched or not, the condition that decided, the result."""

from __future__ import annotations

import datetime as dt

from gateway.routing.evaluate import Decision
from gateway.routing.facts import Facts
from gateway.routing.rules import RuleSet
from gateway.routing.workdays import WorkCalendar

STATES = {"matched": "MATCHED", "not-matched": "no", "skipped": "skipped"}


def explain(ruleset: RuleSet, facts: Facts, decision: Decision, arrival: dt.date, calendar: WorkCalendar) -> str:
    lines = [
        f"rules {ruleset.version} from {ruleset.directory}: {len(ruleset.rules)} rule(s), "
        f"{len(ruleset.departments)} department(s)",
        "facts:",
        f"  sender {facts.sender or '-'}; recipients {', '.join(facts.recipients) or '-'}",
        f"  cơ quan ban hành {facts.organ_name or '-'} (OrganId {facts.organ_id or '-'}); "
        f"tên loại {facts.type_name or facts.type_code or '-'}",
        f"  trích yếu {facts.trich_yeu or '-'}",
        f"  subject {facts.subject or '-'}",
        f"  độ khẩn {facts.urgency}, độ mật {facts.secrecy}, signature {facts.signature or 'unknown'}, "
        f"files {', '.join(sorted(facts.attachment_types)) or '-'}",
        "rules:",
    ]
    for verdict in decision.verdicts:
        where = f" ({verdict.file}:{verdict.line})" if verdict.file else ""
        decided = f"{verdict.decided_by}: " if verdict.decided_by else ""
        lines.append(f"  {STATES[verdict.state]:<8} {verdict.rule}{where}")
        lines.append(f"           {decided}{verdict.why}")
        if verdict.actions:
            lines.append(f"           → {', '.join(verdict.actions)}")
    lines.append("decision:")
    if decision.quarantine:
        lines.append(f"  quarantine: {decision.quarantine} (the message is not registered)")
        return "\n".join(lines)
    names = ruleset.departments
    label = lambda code: f"{code} ({names[code].name})" if code in names else code  # noqa: E731
    due = decision.deadline(arrival, calendar)
    lines += [
        f"  chủ trì (lead)       {label(decision.lead)}",
        f"  phối hợp (cooperate) {', '.join(map(label, decision.cooperate)) or '-'}",
        f"  để biết (inform)     {', '.join(map(label, decision.inform)) or '-'}",
        f"  hạn (due)            {_due_text(decision, due, arrival)}",
        f"  priority {decision.priority}; tags {', '.join(decision.tags) or '-'}; "
        f"forward {'yes' if decision.forward else 'no'}; receipt {'yes' if decision.receipt else 'no'}",
    ]
    return "\n".join(lines)


def _due_text(decision: Decision, due: dt.date | None, arrival: dt.date) -> str:
    if due is None:
        return "-"
    if decision.due_days is not None:
        return f"{due:%d/%m/%Y} ({decision.due_days} working day(s) after {arrival:%d/%m/%Y})"
    return f"{due:%d/%m/%Y}"
