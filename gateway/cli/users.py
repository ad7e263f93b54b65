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
    """Người dùng đăng nhập giao diện web và khoá API cho hệ thống quản lý văn bản (e-office)."""


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
@click.argument("name", metavar="TÊN")
@click.option("--role", required=True, type=click.Choice(["admin", "van_thu", "lanh_dao", "chuyen_vien"]),
              help="admin (quản trị), van_thu (văn thư), lanh_dao (lãnh đạo) hoặc chuyen_vien (chuyên viên của một "
                   "đơn vị).")
@click.option("--unit", metavar="ĐƠN_VỊ", help="Mã đơn vị của chuyên viên (bảng departments).")
@click.option("--full-name", default="", metavar="HỌ_TÊN", help="Tên hiện trên giao diện.")
@click.option("--secret", is_flag=True, help="Được xem sổ văn bản mật dù vai trò không được (web.secret_roles).")
@click.option("--no-password", is_flag=True,
              help="Không đăng nhập bằng mật khẩu (chỉ dùng khoá API hoặc trường tiêu đề của proxy tin cậy).")
@click.option("--password-stdin", is_flag=True, help="Đọc mật khẩu từ dòng đầu của stdin.")
@click.pass_context
@handle_errors
def user_add(ctx, name, role, unit, full_name, secret, no_password, password_stdin) -> None:
    """Thêm người dùng TÊN với một vai trò (và đơn vị, với chuyên viên); hỏi mật khẩu."""
    password = "" if no_password else _read_password(password_stdin)
    _run(ctx, lambda accounts: accounts.add_user(name, role, password, unit, secret, full_name, actor=operator()))
    click.echo(f"Đã thêm người dùng {name} ({ROLE_NAMES[role]}{', đơn vị ' + unit if unit else ''})")


@user.command("passwd")
@click.argument("name", metavar="TÊN")
@click.option("--password-stdin", is_flag=True, help="Đọc mật khẩu từ dòng đầu của stdin.")
@click.pass_context
@handle_errors
def user_passwd(ctx, name, password_stdin) -> None:
    """Đặt mật khẩu mới cho TÊN (các phiên đăng nhập trên trình duyệt của người đó kết thúc)."""
    password = _read_password(password_stdin)
    _run(ctx, lambda accounts: accounts.set_password(name, password, actor=operator()))
    click.echo(f"Đã đổi mật khẩu của {name}; các phiên đăng nhập của {name} đã kết thúc")


@user.command("disable")
@click.argument("name", metavar="TÊN")
@click.pass_context
@handle_errors
def user_disable(ctx, name) -> None:
    """Khoá TÊN: các phiên đăng nhập kết thúc và khoá API của người đó thôi dùng được ngay."""
    _run(ctx, lambda accounts: accounts.set_active(name, False, actor=operator()))
    click.echo(f"Đã khoá {name}: phiên đăng nhập và khoá API của {name} không dùng được nữa")


@user.command("enable")
@click.argument("name", metavar="TÊN")
@click.pass_context
@handle_errors
def user_enable(ctx, name) -> None:
    """Mở khoá TÊN (khoá API dùng lại được; người đó đăng nhập lại)."""
    _run(ctx, lambda accounts: accounts.set_active(name, True, actor=operator()))
    click.echo(f"Đã mở khoá {name}")


@user.command("delete")
@click.argument("name", metavar="TÊN")
@click.option("--yes", is_flag=True, help="Không hỏi xác nhận.")
@click.pass_context
@handle_errors
def user_delete(ctx, name, yes) -> None:
    """Xoá TÊN cùng các phiên đăng nhập và khoá API (nhật ký vẫn giữ tên người đó)."""
    if not yes:
        click.confirm(f"Xoá hẳn người dùng {name} cùng các khoá API?", abort=True)
    _run(ctx, lambda accounts: accounts.delete_user(name, actor=operator()))
    click.echo(f"Đã xoá người dùng {name}")


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="Mỗi người dùng một đối tượng JSON.")
@click.pass_context
@handle_errors
def user_list(ctx, as_json) -> None:
    """Mọi người dùng với vai trò, đơn vị, trạng thái và mã các khoá API của họ."""
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
@click.argument("name", metavar="TÊN")
@click.option("--label", default="", metavar="NHÃN", help="Khoá dùng cho việc gì (ví dụ tên hệ thống e-office).")
@click.pass_context
@handle_errors
def user_token(ctx, name, label) -> None:
    """Tạo khoá API cho TÊN và in ra một lần duy nhất (chỉ lưu giá trị băm của khoá)."""
    token = _run(ctx, lambda accounts: accounts.new_token(name, label, actor=operator()))
    click.echo(token)


@user.command("tokens")
@click.argument("name", required=False, metavar="[TÊN]")
@click.pass_context
@handle_errors
def user_tokens(ctx, name) -> None:
    """Các khoá API đang dùng (của TÊN, hoặc của mọi người): mã, người dùng, nhãn, lúc tạo."""
    tokens = _run(ctx, lambda accounts: accounts.list_tokens(name))
    for token in tokens:
        click.echo(f"#{token.id:<5} {token.user:<20} tạo {token.created_at:%d/%m/%Y %H:%M} UTC  {token.label}")
    click.echo(f"{len(tokens)} khoá API đang dùng", err=True)


@user.command("token-revoke")
@click.argument("token_id", type=int, metavar="MÃ_KHOÁ")
@click.pass_context
@handle_errors
def user_token_revoke(ctx, token_id) -> None:
    """Thu hồi khoá API có mã MÃ_KHOÁ (xem `gateway user list`); khoá thôi dùng được ngay."""
    owner = _run(ctx, lambda accounts: accounts.revoke_token(token_id, actor=operator()))
    click.echo(f"Đã thu hồi khoá API #{token_id} của {owner}")
