"""People who log in to the web UI, and the API tokens of e-office systems: add, change, disable, delete, revoke."""

from __future__ import annotations

import json
import sys

import click

from gateway.cli.base import get_config, handle_errors, operator
from gateway.core.errors import GatewayError

ROLE_NAMES = {"admin": "quản trị", "van_thu": "văn thư", "lanh_dao": "lãnh đạo", "chuyen_vien": "chuyên viên"}


@click.group()
def user() -> None:
    """People who log in to the web UI and API tokens for e-office systems."""


def _accounts(ctx):
    from gateway.register.service import Register

    register = Register.open(get_config(ctx))
    return register, register.accounts


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Mật khẩu", hide_input=True, confirmation_prompt="Nhập lại mật khẩu")
    if len(password) < 8:
        raise GatewayError("Mật khẩu phải có ít nhất 8 ký tự.")
    return password


def _run(ctx, work):
    register, accounts = _accounts(ctx)
    try:
        return work(accounts)
    finally:
        register.close()


@user.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["admin", "van_thu", "lanh_dao", "chuyen_vien"]),
              help="admin, van_thu (văn thư), lanh_dao (lãnh đạo) or chuyen_vien (staff of one unit).")
@click.option("--unit", help="Department code of a chuyen_vien (departments table).")
@click.option("--full-name", default="", help="Name shown in the UI.")
@click.option("--secret", is_flag=True, help="May see the secret register even if the role may not (web.secret_roles).")
@click.option("--no-password", is_flag=True, help="No password login (API token or trusted proxy header only).")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.pass_context
@handle_errors
def user_add(ctx, name, role, unit, full_name, secret, no_password, password_stdin) -> None:
    """Create a user NAME with a role (and a unit for chuyen_vien); asks for the password."""
    password = "" if no_password else _read_password(password_stdin)
    _run(ctx, lambda accounts: accounts.add_user(name, role, password, unit, secret, full_name, actor=operator()))
    click.echo(f"Đã thêm người dùng {name} ({ROLE_NAMES[role]}{', đơn vị ' + unit if unit else ''})")


@user.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.pass_context
@handle_errors
def user_passwd(ctx, name, password_stdin) -> None:
    """Set a new password for NAME (their browser sessions end)."""
    password = _read_password(password_stdin)
    _run(ctx, lambda accounts: accounts.set_password(name, password, actor=operator()))
    click.echo(f"Đã đổi mật khẩu của {name}; các phiên đăng nhập của {name} đã kết thúc")


@user.command("disable")
@click.argument("name")
@click.pass_context
@handle_errors
def user_disable(ctx, name) -> None:
    """Disable NAME: their browser sessions end and their API tokens stop working at once."""
    _run(ctx, lambda accounts: accounts.set_active(name, False, actor=operator()))
    click.echo(f"Đã khoá {name}: phiên đăng nhập và khoá API của {name} không dùng được nữa")


@user.command("enable")
@click.argument("name")
@click.pass_context
@handle_errors
def user_enable(ctx, name) -> None:
    """Enable NAME again (their API tokens work again; they log in anew)."""
    _run(ctx, lambda accounts: accounts.set_active(name, True, actor=operator()))
    click.echo(f"Đã mở khoá {name}")


@user.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
@handle_errors
def user_delete(ctx, name, yes) -> None:
    """Delete NAME with their sessions and API tokens (the audit trail keeps their name)."""
    if not yes:
        click.confirm(f"Xoá hẳn người dùng {name} cùng các khoá API?", abort=True)
    _run(ctx, lambda accounts: accounts.delete_user(name, actor=operator()))
    click.echo(f"Đã xoá người dùng {name}")


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per user.")
@click.pass_context
@handle_errors
def user_list(ctx, as_json) -> None:
    """Every user with role, unit, state and the ids of their API tokens."""
    users = _run(ctx, lambda accounts: accounts.list_users())
    for item in users:
        if as_json:
            click.echo(json.dumps(item, ensure_ascii=False))
            continue
        flags = ", ".join(f for f, on in (("xem sổ mật", item["secret_allowed"]), ("ĐÃ KHOÁ", not item["active"]),
                                          ("không mật khẩu", not item["password"])) if on)
        tokens = " ".join(f"#{t}" for t in item["token_ids"]) or "-"
        click.echo(f"{item['name']:<20} {ROLE_NAMES.get(item['role'], item['role']):<12} {item['unit'] or '-':<8} "
                   f"khoá API: {tokens:<12}{'  ' + flags if flags else ''}  {item['full_name']}")


@user.command("token")
@click.argument("name")
@click.option("--label", default="", help="What the token is for (e.g. the e-office system's name).")
@click.pass_context
@handle_errors
def user_token(ctx, name, label) -> None:
    """Create an API token for NAME and print it once (only its hash is stored)."""
    token = _run(ctx, lambda accounts: accounts.new_token(name, label, actor=operator()))
    click.echo(token)


@user.command("tokens")
@click.argument("name", required=False)
@click.pass_context
@handle_errors
def user_tokens(ctx, name) -> None:
    """The live API tokens (of NAME, or of everyone): id, user, label, when created."""
    tokens = _run(ctx, lambda accounts: accounts.list_tokens(name))
    for token in tokens:
        click.echo(f"#{token.id:<5} {token.user:<20} tạo {token.created_at:%d/%m/%Y %H:%M} UTC  {token.label}")
    click.echo(f"{len(tokens)} khoá API đang dùng", err=True)


@user.command("token-revoke")
@click.argument("token_id", type=int)
@click.pass_context
@handle_errors
def user_token_revoke(ctx, token_id) -> None:
    """Revoke the API token with id TOKEN_ID (see `gateway user list`); it stops working at once."""
    owner = _run(ctx, lambda accounts: accounts.revoke_token(token_id, actor=operator()))
    click.echo(f"Đã thu hồi khoá API #{token_id} của {owner}")
