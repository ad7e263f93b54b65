"""What every command shares: exit codes, errors turned into one clear line, the configuration, who is acting."""

from __future__ import annotations

import functools
import sys

import click

from gateway.core.config import Config
from gateway.core.errors import ConfigError, GatewayError, NotFound

EXIT_ERROR = 1
EXIT_CONFIG = 3
EXIT_NOT_FOUND = 4


def fail(message: str, code: int, hint: str = "") -> None:
    """Print the error in Vietnamese (lower layers' English shapes translated, the rest as a technical detail)
    and exit with ``code``."""
    from gateway.web.reasons import translate

    click.echo(f"gateway: lỗi: {translate(message)}", err=True)
    if hint:
        click.echo(f"gợi ý: {hint}", err=True)
    sys.exit(code)


def handle_errors(func):
    """Print a GatewayError as one clear line and exit with its code instead of a traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ConfigError as err:
            fail(str(err), EXIT_CONFIG, "kiểm tra tệp cấu hình bằng `gateway config check`")
        except NotFound as err:
            fail(str(err), EXIT_NOT_FOUND)
        except GatewayError as err:
            fail(str(err), EXIT_ERROR)

    return wrapper


def get_config(ctx: click.Context) -> Config:
    return ctx.obj["config_loader"]()


def operator() -> str:
    """Who runs the command (the sudo user behind root), for the audit trail."""
    import getpass
    import os

    return os.environ.get("SUDO_USER") or getpass.getuser()
