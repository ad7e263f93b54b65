"""What `gateway serve` needs beyond a well-formed config file, checked before it starts: the data folder it
writes, the rule files, the calendar, the TLS and secret files it reads. Each problem names the key and the path."""

from __future__ import annotations

import tempfile
from pathlib import Path

from gateway.core.config import Config
from gateway.core.errors import ConfigError, RuleFileError


def preflight(config: Config, rules: bool = True) -> list[str]:
    """Every problem that would stop `serve` (or make a part of it fail at once); empty when there is none.

    ``rules`` False leaves the rule files out (doctor gives them a line of their own).
    """
    src = config.source
    problems = [f"{src}: paths.data_dir: {why}" for why in _data_folder(config)]
    problems += _rules(config) if rules else []
    problems += _calendar(config)
    problems += [f"{src}: {problem}" for problem in _files(config)]
    return problems


def _data_folder(config: Config) -> list[str]:
    """The data folder and the folders serve writes in it take a new file (or can be created)."""
    folders = [config.data_dir, config.spool_dir, *sorted(p for p in config.spool_dir.glob("*") if p.is_dir()),
               config.blob_dir]
    problems = []
    for folder in folders:
        if folder != config.data_dir and not folder.exists():
            continue  # serve creates it, and the data folder's own check covers that
        why = _writable(folder)
        if why:
            problems.append(why)
    return problems


def _writable(folder: Path) -> str:
    """Why no file can be created in ``folder`` (or in the nearest existing folder above it), or ""."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        return f"cannot create {folder}: {probe} is not a folder"
    try:
        with tempfile.NamedTemporaryFile(dir=probe, prefix=".gateway-check-"):
            pass
    except OSError as err:
        what = f"cannot create {folder}: " if probe != folder else ""
        return f"{what}{probe} is not writable for this user ({err.strerror or err}); check its owner and mode"
    return ""


def _rules(config: Config) -> list[str]:
    """Every problem of the rule files (RuleFileError lists them all)."""
    from gateway.routing.rules import load_rules

    if not config.routing.rules_dir:
        return []
    try:
        load_rules(config.routing.rules_dir)
    except RuleFileError as err:
        return [f"{config.source}: routing.rules_dir: {problem}" for problem in err.problems]
    return []


def _calendar(config: Config) -> list[str]:
    from gateway.routing.workdays import load_calendar

    try:
        load_calendar(config.routing.calendar_file)
    except ConfigError as err:
        return [f"{config.source}: routing.calendar_file: {err}"]
    return []


def _files(config: Config) -> list[str]:
    """The TLS pair loads, and every certificate and secret file the running parts read is readable."""
    from gateway.intake.smtp import build_tls_context

    problems = []
    try:
        build_tls_context(config.smtp)
    except ConfigError as err:
        problems.append(str(err))
    readable = [(f"understand.trust_anchors[{n}]", path) for n, path in enumerate(config.understand.trust_anchors)]
    readable += [("outbox.tls_ca_file", config.outbox.tls_ca_file),
                 ("outbox.password_file", config.outbox.password_file)]
    for account in config.imap.accounts:
        readable += [(f"imap.accounts[{account.name}].tls_ca_file", account.tls_ca_file),
                     (f"imap.accounts[{account.name}].password_file", account.password_file)]
    for key, path in readable:
        if not path:
            continue
        try:
            with open(path, "rb") as handle:
                handle.read(1)
        except OSError as err:
            problems.append(f"{key}: cannot read {path}: {err.strerror or err}")
    return problems
