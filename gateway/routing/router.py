"""The routing stage as the workers use it: the current rule set (reloadable) and calendar, a decision per
message, and the hook that stores decisions inside the registering transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gateway.core.config import Config
from gateway.core.errors import RegisterError, RuleFileError
from gateway.core.values import DocumentMeta, Extracted, SpooledMessage
from gateway.routing.evaluate import Decision, evaluate
from gateway.routing.facts import facts_from
from gateway.routing.record import Plan, plan_routing, sync_departments, write_plan
from gateway.routing.rules import RuleSet, load_rules
from gateway.routing.snapshot import load_snapshot, write_snapshot
from gateway.routing.workdays import WorkCalendar, load_calendar

log = logging.getLogger(__name__)


class Router:
    """Decides where each document goes; ``reload()`` swaps in new rules only when they load without error."""

    def __init__(self, config: Config, loader: Callable[[], RuleSet], calendar: WorkCalendar) -> None:
        self.config = config
        self._loader = loader
        self.ruleset = loader()
        self.calendar = calendar

    @classmethod
    def from_config(cls, config: Config) -> Router | None:
        """The router reading routing.rules_dir, or None when routing is off; raises RuleFileError."""
        if not config.routing.rules_dir:
            return None
        return cls(config, lambda: load_rules(config.routing.rules_dir), load_calendar(config.routing.calendar_file))

    @classmethod
    def from_snapshot(cls, config: Config) -> Router | None:
        """The router of a worker: the rules the daemon accepted last (see snapshot.py), or None."""
        if not config.routing.rules_dir:
            return None
        return cls(config, lambda: load_snapshot(config.data_dir, config.routing.rules_dir),
                   load_calendar(config.routing.calendar_file))

    def publish(self) -> None:
        """Make the rules in use the ones workers load (the daemon calls this after accepting them)."""
        write_snapshot(self.config.data_dir, self.ruleset)

    def sync_departments(self, engine: sa.Engine) -> None:
        """Bring the departments table in step with the rule files (assignments refer to it)."""
        try:
            with engine.begin() as conn:
                sync_departments(conn, self.ruleset)
        except sa.exc.SQLAlchemyError as err:
            raise RegisterError(f"cannot write the departments of the rule files: {err}") from err

    def reload(self) -> bool:
        """Read the rule files again; on any error keep the rules in use, log every problem, return False."""
        try:
            fresh = self._loader()
        except RuleFileError as err:
            log.error("rules reload failed, keeping rules %s: %d problem(s):\n  %s", self.ruleset.version,
                      len(err.problems), "\n  ".join(str(p) for p in err.problems))
            return False
        if fresh.version != self.ruleset.version:
            log.info("rules reloaded from %s: version %s -> %s, %d rule(s), %d department(s)", fresh.directory,
                     self.ruleset.version, fresh.version, len(fresh.rules), len(fresh.departments))
        self.ruleset = fresh
        return True

    def decide(self, spooled: SpooledMessage, extracted: Extracted, meta: DocumentMeta) -> Decision:
        return evaluate(self.ruleset, facts_from(spooled.envelope, extracted, meta))

    def plan(self, spooled: SpooledMessage, extracted: Extracted, meta: DocumentMeta) -> Plan:
        """The decision for one message and the rows it will write when the message is registered."""
        return plan_routing(self.decide(spooled, extracted, meta), spooled.envelope, extracted.message,
                            meta.urgency, self.calendar, self.config, self.ruleset.mailboxes)

    @staticmethod
    def hook(plans: dict[str, Plan]):
        """An on_registered hook that writes the plan made for each spool id."""

        def on_registered(session: Session, document_id: int, spool_id: str) -> None:
            plan = plans.get(spool_id)
            if plan is not None:
                write_plan(session, document_id, plan)

        return on_registered


def open_router(config: Config, engine: sa.Engine) -> Router | None:
    """The router of ``config`` with its departments written to the register (None when routing is off)."""
    router = Router.from_config(config)
    if router is not None:
        router.sync_departments(engine)
    return router
