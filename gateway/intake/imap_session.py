"""One logged-in IMAP connection for an account: connect with the configured TLS mode, errors translated."""

from __future__ import annotations

import contextlib
import imaplib
import logging
import os
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import imapclient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from gateway.core.config import ImapAccountConfig
from gateway.core.errors import ImapError

log = logging.getLogger(__name__)
CONNECT_TIMEOUT = 15.0
READ_TIMEOUT = 120.0


def read_password(account: ImapAccountConfig) -> str:
    """The account's password from its file (first line) or its environment variable; never logged."""
    if account.password_env:
        value = os.environ.get(account.password_env)
        if value is None:
            raise ImapError(f"imap {account.name}: environment variable {account.password_env} is not set", True)
        return value
    try:
        text = Path(account.password_file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ImapError(f"imap {account.name}: cannot read password_file {account.password_file}: {err}", True) from err
    return text.splitlines()[0] if text else ""


def describe(account: ImapAccountConfig) -> str:
    """'name (user@host:port, tls)' for log lines and messages."""
    return f"{account.name} ({account.username}@{account.host}:{account.effective_port}, tls={account.tls})"


def translate(account: ImapAccountConfig, err: BaseException, doing: str) -> ImapError:
    """An ImapError naming the account for an imapclient, socket or ssl error raised while ``doing``."""
    where = describe(account)
    if isinstance(err, LoginError):
        return ImapError(f"imap {where}: login refused: {_text(err)}", lasting=True)
    if isinstance(err, (ssl.SSLError, ssl.CertificateError)):
        return ImapError(f"imap {where}: TLS failed while {doing}: {_text(err)}", lasting=True)
    if isinstance(err, (IMAPClientAbortError, imaplib.IMAP4.abort, EOFError)):
        return ImapError(f"imap {where}: connection lost while {doing}: {_text(err)}")
    if isinstance(err, (socket.timeout, TimeoutError)):
        return ImapError(f"imap {where}: timed out while {doing}")
    if isinstance(err, OSError):
        return ImapError(f"imap {where}: cannot reach the server while {doing}: {_text(err)}")
    return ImapError(f"imap {where}: server refused {doing}: {_text(err)}", lasting=True)


def _text(err: BaseException) -> str:
    text = str(err)
    if isinstance(err.args[0] if err.args else None, bytes):
        text = err.args[0].decode("utf-8", "replace")
    if len(text) > 2 and text[:2] in ("b'", 'b"') and text[-1] == text[1]:
        text = text[2:-1]  # imapclient wraps some server texts as str(bytes)
    return text or type(err).__name__


IMAP_ERRORS = (IMAPClientError, imaplib.IMAP4.error, OSError, EOFError, ssl.CertificateError)


@contextlib.contextmanager
def guarded(account: ImapAccountConfig, doing: str) -> Iterator[None]:
    """Translate the errors an IMAP call can raise into ImapError naming the account."""
    try:
        yield
    except ImapError:
        raise
    except IMAP_ERRORS as err:
        raise translate(account, err, doing) from err


def connect(account: ImapAccountConfig, ssl_context: ssl.SSLContext | None = None) -> imapclient.IMAPClient:
    """A client logged in to the account; the caller logs out (see ``session``)."""
    password = read_password(account)
    context = ssl_context or _tls_context(account)
    timeout = imapclient.SocketTimeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT)
    with guarded(account, "connecting"):
        client = imapclient.IMAPClient(
            account.host, port=account.effective_port, ssl=account.tls == "implicit",
            ssl_context=context if account.tls == "implicit" else None, timeout=timeout,
        )
    quiet_imaplib(client)
    try:
        if account.tls == "starttls":
            with guarded(account, "STARTTLS"):
                client.starttls(context)
        with guarded(account, "login"):
            client.login(account.username, password)
    except BaseException:
        _close_quietly(client)
        raise
    return client


def quiet_imaplib(client: imapclient.IMAPClient) -> None:
    """Turn off imaplib's debug level 5, which imapclient sets to feed its "imapclient.imaplib" logger.

    At that level imaplib formats a repr of every response, message bodies included, before the logger can
    decline it: for 50 KB messages with Vietnamese text that is most of the fetch time and memory. Left on
    when that logger would actually print at DEBUG.
    """
    if not logging.getLogger("imapclient.imaplib").isEnabledFor(logging.DEBUG):
        client._imap.debug = 0  # noqa: SLF001 - no public switch; see the docstring


def _tls_context(account: ImapAccountConfig) -> ssl.SSLContext:
    """Certificate and host name checked, against the account's CA file or the system's CAs."""
    try:
        return ssl.create_default_context(cafile=account.tls_ca_file or None)
    except (OSError, ssl.SSLError) as err:
        raise ImapError(f"imap {account.name}: cannot load tls_ca_file {account.tls_ca_file}: {err}", True) from err


@contextlib.contextmanager
def session(account: ImapAccountConfig, ssl_context: ssl.SSLContext | None = None) -> Iterator[imapclient.IMAPClient]:
    """A logged-in client for the duration of a with-block; logged out (or just closed) afterwards."""
    client = connect(account, ssl_context)
    try:
        yield client
    finally:
        _close_quietly(client)


def _close_quietly(client: imapclient.IMAPClient) -> None:
    try:
        client.logout()
    except Exception:  # noqa: BLE001 - the connection may already be gone; closing must not mask the real error
        with contextlib.suppress(Exception):
            client.shutdown()


def select(client: imapclient.IMAPClient, account: ImapAccountConfig, folder: str) -> tuple[int, int]:
    """Select a folder read-write; (UIDVALIDITY, EXISTS). A missing folder is a lasting ImapError."""
    try:
        info = client.select_folder(folder)
    except (IMAPClientAbortError, imaplib.IMAP4.abort, OSError) as err:
        raise translate(account, err, f"selecting {folder!r}") from err
    except IMAPClientError as err:
        raise ImapError(f"imap {describe(account)}: cannot select folder {folder!r}: {_text(err)}", True) from err
    return int(info[b"UIDVALIDITY"]), int(info.get(b"EXISTS", 0))


@dataclass(frozen=True)
class WatchedFolder:
    """What the server says about one folder the account watches."""

    name: str
    uidvalidity: int
    messages: int
    unseen: int


@dataclass(frozen=True)
class Probe:
    """The result of `gateway imap test`: what logging in to an account found."""

    account: str
    capabilities: tuple[str, ...]
    folders: tuple[str, ...]
    watched: tuple[WatchedFolder, ...]


def probe(account: ImapAccountConfig, ssl_context: ssl.SSLContext | None = None) -> Probe:
    """Log in, list capabilities and folders, and read the status of every watched folder."""
    with session(account, ssl_context) as client:
        with guarded(account, "listing folders"):
            capabilities = tuple(sorted(c.decode("ascii", "replace") for c in client.capabilities()))
            folders = tuple(name for _flags, _sep, name in client.list_folders())
        watched = []
        for folder in account.folders:
            if folder not in folders:
                raise ImapError(f"imap {describe(account)}: watched folder {folder!r} does not exist; "
                                f"folders: {', '.join(folders)}", lasting=True)
            with guarded(account, f"reading the status of {folder!r}"):
                status = client.folder_status(folder, [b"UIDVALIDITY", b"MESSAGES", b"UNSEEN"])
            watched.append(WatchedFolder(folder, int(status[b"UIDVALIDITY"]), int(status[b"MESSAGES"]),
                                         int(status[b"UNSEEN"])))
    return Probe(account.name, capabilities, folders, tuple(watched))
