"""Runs the rules in order over a document's facts and returns the Decision, with each rule's verdict and why."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from gateway.routing.facts import Facts
from gateway.routing.rules import PRIORITIES, Actions, Rule, RuleSet
from gateway.routing.workdays import WorkCalendar

FALLBACK = "fallback"


@dataclass(frozen=True)
class RuleVerdict:
    """One rule's result: matched or not (or not reached after a stop), and the condition that decided it."""

    rule: str
    file: str
    line: int
    state: str  # "matched", "not-matched" or "skipped"
    decided_by: str  # condition name ("" for a rule without conditions or a skipped one)
    why: str
    actions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    """Where a document goes: lead, co-operating and informed units, deadline, and the mail to send."""

    verdicts: tuple[RuleVerdict, ...]
    lead: str
    cooperate: tuple[str, ...]
    inform: tuple[str, ...]
    due_days: int | None
    due_date: dt.date | None
    priority: str
    tags: tuple[str, ...]
    forward: bool
    receipt: bool
    quarantine: str  # the reason; "" when the document is registered normally
    used_fallback: bool
    rules_version: str

    @property
    def matched(self) -> list[RuleVerdict]:
        return [v for v in self.verdicts if v.state == "matched"]

    def deadline(self, arrival: dt.date, calendar: WorkCalendar) -> dt.date | None:
        """The due date: a fixed date, or due_days working days after the arrival date."""
        if self.due_date is not None:
            return self.due_date
        if self.due_days is not None:
            return calendar.add_working_days(arrival, self.due_days)
        return None

    def matched_json(self) -> list[dict]:
        """The matched rules with their actions, as stored in routing_decisions.matched."""
        return [{"rule": v.rule, "file": v.file, "line": v.line, "why": v.why, "actions": list(v.actions)}
                for v in self.matched]


def judge(rule: Rule, facts: Facts) -> RuleVerdict:
    """Test a rule's conditions in order; the first that fails decides a miss, the last that holds a match."""
    decided_by, why = "", "không có điều kiện: khớp mọi văn bản"
    for condition in rule.conditions:
        outcome = condition.test(facts, rule.search_in)
        decided_by, why = condition.name, outcome.why
        if not outcome.held:
            return RuleVerdict(rule.name, rule.file, rule.line, "not-matched", decided_by, why)
    return RuleVerdict(rule.name, rule.file, rule.line, "matched", decided_by, why,
                       tuple(rule.actions.summary()))


class _Collector:
    """Merges the actions of matched rules: the first rule that names a thing decides it; lists add up."""

    def __init__(self) -> None:
        self.lead: str | None = None
        self.cooperate: list[str] = []
        self.inform: list[str] = []
        self.due_days: int | None = None
        self.due_date: dt.date | None = None
        self.priority = "normal"
        self.tags: list[str] = []
        self.forward: bool | None = None
        self.receipt: bool | None = None
        self.quarantine = ""

    def add(self, actions: Actions) -> None:
        if self.lead is None and actions.lead:
            self.lead = actions.lead
        _extend(self.cooperate, actions.cooperate)
        _extend(self.inform, actions.inform)
        if self.due_days is None and self.due_date is None:
            self.due_days, self.due_date = actions.due_days, actions.due_date
        if actions.priority and PRIORITIES.index(actions.priority) > PRIORITIES.index(self.priority):
            self.priority = actions.priority
        _extend(self.tags, actions.tags)
        if self.forward is None:
            self.forward = actions.forward
        if self.receipt is None:
            self.receipt = actions.receipt
        if not self.quarantine and actions.quarantine:
            self.quarantine = actions.quarantine


def _extend(target: list[str], items: tuple[str, ...]) -> None:
    target.extend(item for item in items if item not in target)


def evaluate(ruleset: RuleSet, facts: Facts) -> Decision:
    """Every rule's verdict in order (skipped after a matching rule that stops), then the fallback if no lead."""
    verdicts = []
    merged = _Collector()
    stopped_by = ""
    for rule in ruleset.rules:
        if stopped_by:
            verdicts.append(RuleVerdict(rule.name, rule.file, rule.line, "skipped", "",
                                        f"not reached: rule {stopped_by} stopped the evaluation"))
            continue
        verdict = judge(rule, facts)
        verdicts.append(verdict)
        if verdict.state == "matched":
            merged.add(rule.actions)
            if rule.actions.stop:
                stopped_by = rule.name
    used_fallback = merged.lead is None and not merged.quarantine
    if used_fallback:
        verdicts.append(RuleVerdict(FALLBACK, "", 0, "matched", "", "không luật nào nêu đơn vị chủ trì",
                                    tuple(ruleset.fallback.summary())))
        merged.add(ruleset.fallback)
    lead = merged.lead or ""
    cooperate = tuple(c for c in merged.cooperate if c != lead)
    inform = tuple(i for i in merged.inform if i != lead and i not in cooperate)
    return Decision(
        tuple(verdicts), lead, cooperate, inform, merged.due_days, merged.due_date, merged.priority,
        tuple(merged.tags), bool(merged.forward), bool(merged.receipt), merged.quarantine, used_fallback,
        ruleset.version,
    )
