"""People who log in to the web UI, and the API tokens of e-office systems."""

from __future__ import annotations

import json
import sys

import click

from gateway.cli.base import get_config, handle_errors
from gateway.core.errors import GatewayError


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
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        raise GatewayError("the password must have at least 8 characters")
    return password


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
    register, accounts = _accounts(ctx)
    try:
        accounts.add_user(name, role, password, unit, secret, full_name)
    finally:
        register.close()
    click.echo(f"user {name} added ({role}{' of ' + unit if unit else ''})")


@user.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.pass_context
@handle_errors
def user_passwd(ctx, name, password_stdin) -> None:
    """Set a new password for NAME (their browser sessions end)."""
    password = _read_password(password_stdin)
    register, accounts = _accounts(ctx)
    try:
        accounts.set_password(name, password)
    finally:
        register.close()
    click.echo(f"password of {name} changed")


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per user.")
@click.pass_context
@handle_errors
def user_list(ctx, as_json) -> None:
    """Every user with role, unit and number of API tokens."""
    register, accounts = _accounts(ctx)
    try:
        users = accounts.list_users()
    finally:
        register.close()
    for item in users:
        if as_json:
            click.echo(json.dumps(item, ensure_ascii=False))
        else:
            flags = ", ".join(f for f, on in (("secret", item["secret_allowed"]), ("inactive", not item["active"])) if on)
            click.echo(f"{item['name']:<20} {item['role']:<12} {item['unit'] or '-':<10} tokens={item['tokens']}"
                       f"{'  ' + flags if flags else ''}  {item['full_name']}")


@user.command("token")
@click.argument("name")
@click.option("--label", default="", help="What the token is for (e.g. the e-office system's name).")
@click.pass_context
@handle_errors
def user_token(ctx, name, label) -> None:
    """Create an API token for NAME and print it once (only its hash is stored)."""
    register, accounts = _accounts(ctx)
    try:
        token = accounts.new_token(name, label)
    finally:
        register.close()
    click.echo(token)
