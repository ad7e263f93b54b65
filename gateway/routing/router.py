"""The routing stage as the workers use it: the current rule set (reloadable) and calendar, and a decision with
its plan (what the register writes with the document) per message."""

from __future__ import annotations

import logging
from collections.abc import Callable

from gateway.core.addresses import is_own_address
from gateway.core.config import Config
from gateway.core.errors import RuleFileError
from gateway.core.values import DocumentMeta, Extracted, SpooledMessage
from gateway.register.decisions import RoutingRecord
from gateway.register.service import Register
from gateway.routing.evaluate import Decision, evaluate
from gateway.routing.facts import facts_from
from gateway.routing.plan import plan_routing, units_of
from gateway.routing.rules import OwnAddress, RuleSet, load_rules
from gateway.routing.snapshot import load_snapshot, write_snapshot
from gateway.routing.workdays import WorkCalendar, load_calendar
from gateway.trust import passed

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
        return cls(config, lambda: load_rules(config.routing.rules_dir, own_address=own_address_of(config)),
                   load_calendar(config.routing.calendar_file))

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

    def sync_departments(self, register: Register) -> None:
        """Bring the register's departments in step with the rule files (assignments refer to them)."""
        register.sync_departments(units_of(self.ruleset))

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

    def plan(self, spooled: SpooledMessage, extracted: Extracted, meta: DocumentMeta) -> RoutingRecord:
        """The decision for one message and the rows it will write when the message is registered."""
        return plan_routing(self.decide(spooled, extracted, meta), spooled.envelope, extracted.message,
                            meta.urgency, self.calendar, self.config, self.ruleset.mailboxes,
                            authenticated=passed(extracted.auth))


def own_address_of(config: Config) -> OwnAddress:
    """The test rule files use for "one of the gateway's own addresses" under ``config``."""
    return lambda address: is_own_address(address, config)


def open_router(config: Config, register: Register) -> Router | None:
    """The router of ``config`` with its departments written to the register (None when routing is off)."""
    router = Router.from_config(config)
    if router is not None:
        router.sync_departments(register)
    return router
