"""IMAP accounts: test a login, show each account's sync state."""

from __future__ import annotations

import click

from gateway.cli.base import get_config, handle_errors
from gateway.core.errors import NotFound


@click.group()
def imap() -> None:
    """IMAP accounts the gateway polls."""


@imap.command("test")
@click.argument("account")
@click.pass_context
@handle_errors
def imap_test(ctx, account: str) -> None:
    """Log in to ACCOUNT and show its capabilities, folders and the watched folders' UIDVALIDITY and counts."""
    from gateway.intake.imap_session import describe, probe

    config = get_config(ctx)
    accounts = {a.name: a for a in config.imap.accounts}
    if account not in accounts:
        raise NotFound(f"no IMAP account {account!r} in {config.source}; accounts: {', '.join(accounts) or 'none'}")
    found = probe(accounts[account])
    click.echo(f"account {describe(accounts[account])}: login ok")
    click.echo(f"capabilities: {' '.join(found.capabilities)}")
    click.echo(f"folders: {', '.join(found.folders)}")
    for folder in found.watched:
        click.echo(f"watched {folder.name}: UIDVALIDITY {folder.uidvalidity}, {folder.messages} message(s), "
                   f"{folder.unseen} unseen")


@imap.command("status")
@click.pass_context
@handle_errors
def imap_status(ctx) -> None:
    """Each account's last successful sync, last error, and messages waiting for their after-action."""
    from gateway.intake.imap_status import load_status
    from gateway.register.service import Register

    config = get_config(ctx)
    if not config.imap.accounts:
        click.echo(f"no IMAP accounts in {config.source}")
        return
    register = Register.open(config)
    ledger = register.imap_ledger
    try:
        for account in config.imap.accounts:
            status = load_status(config.data_dir / "imap" / f"{account.name}.json")
            counts = ledger.counts(account.name)
            click.echo(f"{account.name}: last success {status.last_success if status and status.last_success else 'never'}"
                       f"; {counts.get('spooled', 0)} waiting for {account.after_action}, {counts.get('done', 0)} done")
            if status and status.last_error:
                click.echo(f"  last error at {status.last_error_at}: {status.last_error}")
    finally:
        register.close()
