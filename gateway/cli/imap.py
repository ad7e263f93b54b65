"""IMAP accounts: test a login, show each account's sync state."""

from __future__ import annotations

import click

from gateway.cli.base import get_config, handle_errors
from gateway.core.errors import NotFound
from gateway.web.labels import iso_date
from gateway.web.reasons import translate


@click.group()
def imap() -> None:
    """Các tài khoản IMAP gateway lấy thư."""


@imap.command("test")
@click.argument("account", metavar="TÀI_KHOẢN")
@click.pass_context
@handle_errors
def imap_test(ctx, account: str) -> None:
    """Đăng nhập TÀI_KHOẢN và in các khả năng, thư mục, UIDVALIDITY và số thư của các thư mục được theo dõi."""
    from gateway.intake.imap_session import describe, probe

    config = get_config(ctx)
    accounts = {a.name: a for a in config.imap.accounts}
    if account not in accounts:
        raise NotFound(f"Không có tài khoản IMAP {account!r} trong {config.source}; các tài khoản có: "
                       f"{', '.join(accounts) or 'không có'}")
    found = probe(accounts[account])
    click.echo(f"tài khoản {describe(accounts[account])}: đăng nhập được")
    click.echo(f"khả năng (CAPABILITY): {' '.join(found.capabilities)}")
    click.echo(f"thư mục: {', '.join(found.folders)}")
    for folder in found.watched:
        click.echo(f"thư mục theo dõi {folder.name}: UIDVALIDITY {folder.uidvalidity}, {folder.messages} thư, "
                   f"{folder.unseen} thư chưa đọc")


@imap.command("status")
@click.pass_context
@handle_errors
def imap_status(ctx) -> None:
    """Với mỗi tài khoản: lần đồng bộ tốt gần nhất, lỗi gần nhất và số thư chờ thao tác sau khi vào sổ."""
    from gateway.intake.imap_status import load_status
    from gateway.register.service import Register

    config = get_config(ctx)
    if not config.imap.accounts:
        click.echo(f"Không có tài khoản IMAP nào trong {config.source}")
        return
    register = Register.open(config)
    ledger = register.imap_ledger
    try:
        for account in config.imap.accounts:
            status = load_status(config.data_dir / "imap" / f"{account.name}.json")
            counts = ledger.counts(account.name)
            last = iso_date(status.last_success) if status and status.last_success else "chưa có"
            click.echo(f"{account.name}: lần đồng bộ tốt gần nhất {last}; {counts.get('spooled', 0)} thư chờ thao tác "
                       f"{account.after_action}, {counts.get('done', 0)} thư đã xong")
            if status and status.last_error:
                click.echo(f"  lỗi gần nhất lúc {iso_date(status.last_error_at)}: {translate(status.last_error)}")
    finally:
        register.close()
