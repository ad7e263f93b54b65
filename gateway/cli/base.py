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
    """Print ``message`` (one error per line) and the hint to stderr, and exit with ``code``."""
    for line in message.splitlines() or [""]:
        click.echo(f"gateway: error: {line}", err=True)
    if hint:
        click.echo(f"hint: {hint}", err=True)
    sys.exit(code)


def handle_errors(func):
    """Print a GatewayError as clear lines and exit with its code instead of a traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ConfigError as err:
            fail(str(err), EXIT_CONFIG, "`gateway config check` lists every problem of the configuration")
        except RuleFileError as err:
            fail("\n".join(map(str, err.problems)), EXIT_CONFIG, "`gateway rules check` lists the problems")
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
