"""The gateway's exception tree; library errors are translated into it where the library is called.

    GatewayError
     ├── ConfigError             a config file or option is wrong (names the file and key; every problem found)
     ├── ListenError             an address to listen on is taken, or not on this host yet (says what to do)
     ├── TemporaryError          a fault outside the message (database away, disk full): wait and try again
     │    ├── RegisterUnavailable  the register database does not answer or timed out (also a RegisterError)
     │    └── StorageFull        the data folder's disk is (nearly) full (SMTP answers 452)
     ├── SpoolError              the spool cannot store or move a file (SMTP answers 451)
     ├── ImapError               an IMAP account cannot be reached, logged into or read
     ├── ParseError              a message cannot be taken apart at all (goes to bad/)
     ├── Quarantined             a message parsed but is not trusted or hit a limit (goes to quarantine/)
     ├── NotADocument            a machine sent it: a delivery report or an auto-reply (goes to auto/)
     ├── ExtractionError         one attachment's text could not be read (stored with a status)
     ├── RegisterError           the register database refused an operation
     │    ├── RegisterConflict   a unique key refused a row (another writer got there first)
     │    └── NotFound           no such message, document or spool entry
     ├── RuleFileError           routing rule files are wrong (carries every problem with file, line, rule)
     └── BackupError             a backup cannot be written, or a restore is refused (checksums, non-empty dir)
"""

from __future__ import annotations


class GatewayError(Exception):
    """Base of every error the gateway raises on purpose."""


class ConfigError(GatewayError):
    """A configuration file, key or command-line override is invalid; ``problems`` holds each one found."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems) if problems else [message]

    @classmethod
    def of(cls, problems: list[str]) -> ConfigError:
        """One error for several problems, one per line."""
        return cls("\n".join(problems), problems)


class ListenError(GatewayError):
    """An address to listen on is taken by another program or not on this host yet; ``hint`` says what to do."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


class TemporaryError(GatewayError):
    """A fault outside the message itself (database unreachable, disk full, a lock timeout): the message waits
    in the spool and is tried again later, never sent to bad/ for it."""


class StorageFull(TemporaryError):
    """The data folder's file system is (nearly) full."""


class SpoolError(GatewayError):
    """The spool could not durably store, claim or move a file."""


class ImapError(GatewayError):
    """An IMAP server, login, TLS handshake or folder failed; ``lasting`` when retrying soon will not help."""

    def __init__(self, message: str, lasting: bool = False) -> None:
        super().__init__(message)
        self.lasting = lasting


class LeaseLost(GatewayError):
    """Another host holds (or took over) the lease on shared work, such as polling an IMAP account."""


class ParseError(GatewayError):
    """A message could not be parsed at all."""


class Quarantined(GatewayError):
    """A message must wait in quarantine/ for an operator: forged or unallowed sender, or a limit hit."""

    def __init__(self, reason: str, detail: dict | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail or {}


class NotADocument(GatewayError):
    """A message a machine sent (a delivery report, an auto-reply): kept in auto/, never given a số đến.

    ``automatic`` is the mail layer's description of it (mail.automatic.Automatic).
    """

    def __init__(self, reason: str, automatic: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.automatic = automatic


class ExtractionError(GatewayError):
    """Text could not be extracted from one attachment."""


class RegisterError(GatewayError):
    """The register database refused an operation."""


class RegisterUnavailable(RegisterError, TemporaryError):
    """The register database does not answer, dropped the connection or timed out on a lock."""


class RegisterConflict(RegisterError):
    """A unique key refused a row: another writer registered the same thing first."""


class NotFound(RegisterError):
    """The requested message, document or spool entry does not exist."""


class BackupError(GatewayError):
    """A backup could not be made or a restore was refused."""


class RuleFileError(GatewayError):
    """Routing rule files cannot be used; ``problems`` lists each one with its file, line and rule name."""

    def __init__(self, problems: list) -> None:
        super().__init__("; ".join(str(p) for p in problems) or "tệp luật định tuyến có lỗi")
        self.problems = list(problems)

