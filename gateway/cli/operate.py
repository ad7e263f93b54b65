"""Keeping it running: status, doctor, backup and restore, the configuration."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from gateway.cli.base import EXIT_CONFIG, EXIT_ERROR, get_config, handle_errors
from gateway.core.config import render_toml
from gateway.core.errors import ConfigError


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def status(ctx, as_json: bool) -> None:
    """Queue depths, the oldest waiting message, documents registered today and per register/year."""
    from gateway.ops.status import collect_status, render_status

    report = collect_status(get_config(ctx))
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        click.echo(render_status(report))


@click.command()
@click.pass_context
def doctor(ctx) -> None:
    """Check config, database, spool, disk, helper programs and clock; exit 1 when something FAILs."""
    from gateway.ops.doctor import FAIL, run_checks

    try:
        config = get_config(ctx)
    except ConfigError as err:
        for problem in err.problems:
            click.echo(f"FAIL  config: {problem}")
        sys.exit(EXIT_CONFIG)
    checks = run_checks(config)
    for check in checks:
        click.echo(check.line())
    failed = [check.name for check in checks if check.level == FAIL]
    if failed:
        click.echo(f"{len(failed)} check(s) failed: {', '.join(failed)}", err=True)
        sys.exit(EXIT_ERROR)


@click.command("backup")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
@handle_errors
def backup_cmd(ctx, dest: Path) -> None:
    """Back up the register, the blobs and the spool into DEST (a new folder) with a sha256 manifest."""
    from gateway.ops.backup import backup

    manifest = backup(get_config(ctx), dest)
    click.echo(f"backup written to {dest}: {manifest.database} register, {len(manifest.files)} files")


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.pass_context
@handle_errors
def restore_cmd(ctx, source: Path) -> None:
    """Restore a backup into an empty data folder (and empty database) after checking every checksum."""
    from gateway.ops.backup import restore

    config = get_config(ctx)
    manifest = restore(config, source)
    click.echo(f"restored {len(manifest.files)} files from {source} (made {manifest.created_at}) "
               f"into {config.data_dir}")


@click.group("config")
def config_group() -> None:
    """The configuration file."""


@config_group.command("check")
@click.pass_context
@handle_errors
def config_check(ctx) -> None:
    """Check the configuration and what `serve` needs from it (the data folder writable, the rule files, the
    calendar, TLS and secret files readable); print every problem, exit 3 if there is any."""
    from gateway.core.config import read_config
    from gateway.ops.preflight import preflight

    config, problems = read_config(ctx.obj["config_path"], ctx.obj["overrides"])
    problems += preflight(config)
    for problem in problems:
        click.echo(problem)
    if problems:
        click.echo(f"{len(problems)} problem(s) in the configuration", err=True)
        sys.exit(EXIT_CONFIG)
    rules = f"rules in {config.routing.rules_dir}" if config.routing.rules_dir else "routing off"
    click.echo(f"{config.source}: OK (data in {config.data_dir}, {rules})")


@config_group.command("memory")
@click.pass_context
@handle_errors
def config_memory(ctx) -> None:
    """Print a systemd drop-in setting the unit's MemoryMax for workers.count (0: one per CPU of this machine):
    the serve process plus each worker with its reading child."""
    from gateway.ops.memory import memory_limit, systemd_dropin

    config = get_config(ctx)
    click.echo(systemd_dropin(memory_limit(config), config.source), nl=False)


@config_group.command("show")
@click.pass_context
@handle_errors
def config_show(ctx) -> None:
    """Print the effective configuration with secrets masked."""
    click.echo(render_toml(get_config(ctx)), nl=False)
