"""What every command shares: exit codes, errors turned into one clear line, the configuration, who is acting."""

from __future__ import annotations

import functools
import sys

import click

from gateway.core.config import Config
from gateway.core.errors import ConfigError, GatewayError, ListenError, NotFound, RuleFileError

EXIT_ERROR = 1  # a failure; also an address to listen on that another program holds (a restart may help)
EXIT_CONFIG = 3  # the configuration, a folder or a file it names must be fixed first (a restart will not help)
EXIT_NOT_FOUND = 4


def fail(message: str, code: int, hint: str = "") -> None:
    """Print the error in Vietnamese (lower layers' English shapes translated, the rest as a technical detail),
    one line per error, and the hint, to stderr; exit with ``code``."""
    from gateway.web.reasons import translate

    for line in message.splitlines() or [""]:
        click.echo(f"gateway: lỗi: {translate(line)}", err=True)
    if hint:
        click.echo(f"gợi ý: {hint}", err=True)
    sys.exit(code)


def handle_errors(func):
    """Print a GatewayError as clear lines and exit with its code instead of a traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ConfigError as err:
            fail(str(err), EXIT_CONFIG, "`gateway config check` liệt kê mọi lỗi của cấu hình")
        except RuleFileError as err:
            fail("\n".join(map(str, err.problems)), EXIT_CONFIG, "`gateway rules check` liệt kê các lỗi")
        except ListenError as err:
            fail(str(err), EXIT_ERROR, err.hint)
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
