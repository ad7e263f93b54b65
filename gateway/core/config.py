"""One TOML file read into frozen dataclasses; every key has a default and a help line."""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import socket
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

from gateway.core.errors import ConfigError

SEARCH_PATHS = (Path("gateway.toml"), Path("/etc/gateway/gateway.toml"))
MiB = 1024 * 1024


def _help(text: str, default, **kw):
    return field(default=default, metadata={"help": text}, **kw)


def _path(text: str, default, kind: str = "file"):
    """A key naming a file or folder: relative values in a config file mean relative to that file's folder."""
    return field(default=default, metadata={"help": text, "path": kind})


def _help_factory(text: str, factory):
    return field(default_factory=factory, metadata={"help": text})


@dataclass(frozen=True)
class PathsConfig:
    data_dir: str = _path("folder holding the spool, the blobs and the SQLite register (relative paths in a config "
                          "file are relative to the file's folder)", "./gateway-data", kind="folder")
    min_free_space: int = _help(
        "bytes the data folder's file system keeps free: below it intake refuses new mail for now (SMTP 452, IMAP "
        "waits) so that the workers always have room to register what was accepted", 100 * MiB)


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = _path(
        "SQLAlchemy URL of the register; empty means SQLite in the data folder "
        "(postgresql+psycopg://user:password@host/db for PostgreSQL; a relative sqlite:/// path is relative to "
        "the config file's folder)",
        "", kind="url",
    )
    blobs: str = _help(
        "where message and file bytes are kept: filesystem (blobs/ in the data folder) or database (the register's "
        "blobs table: with PostgreSQL every host and standby has them; all hosts must agree)", "filesystem")


@dataclass(frozen=True)
class HostConfig:
    name: str = _help("this host's name among the hosts sharing one PostgreSQL register (gateway status lists them); "
                      "empty: the system's host name; must differ between hosts", "")
    heartbeat_interval: float = _help("seconds between this host's heartbeats in the register", 10.0)
    imap_lease: float = _help("seconds an IMAP account stays with the host polling it after its last renewal; "
                              "another host takes the account over after that when the first one died", 30.0)
    numbering_wait: float = _help(
        "seconds the other hosts keep numbering behind a host that stopped heartbeating (mail in its spool was "
        "received before theirs); after that they number on, and its mail takes numbers when it returns", 300.0)


@dataclass(frozen=True)
class SmtpConfig:
    listen: str = _help("HOST:PORT the SMTP intake listens on", "127.0.0.1:2525")
    hostname: str = _help("name announced in the SMTP greeting; empty means the host's name", "")
    accept_recipients: tuple[str, ...] = _help(
        "recipient addresses accepted (anything else gets 550: never an open relay)", ("vanthu@localhost",)
    )
    accept_domains: tuple[str, ...] = _help("whole domains accepted as recipients, e.g. sct.example.gov.vn", ())
    max_message_size: int = _help("largest message accepted, in bytes (bigger gets 552)", 50 * MiB)
    max_recipients: int = _help("most RCPT TO per message (more gets 452)", 100)
    idle_timeout: int = _help("seconds a silent client is kept before the connection is closed", 300)
    tls_cert: str = _path("PEM certificate file; with tls_key, STARTTLS is offered", "")
    tls_key: str = _path("PEM private key file for STARTTLS", "")
    require_tls: bool = _help("refuse mail until the client has used STARTTLS", False)
    recipient_delimiter: str = _help(
        'separator of an address extension, as Postfix\'s recipient_delimiter: with "+", vanthu+anything@ is '
        "accepted where vanthu@ is (bounces come back to the outbox's vanthu+ob-ID-TOKEN@ return path); empty: "
        "no extensions", "+",
    )


@dataclass(frozen=True)
class WorkersConfig:
    count: int = _help("worker processes that register spooled mail; 0 means one per CPU", 0)
    max_attempts: int = _help("failed attempts before a spooled message goes to bad/", 3)
    poll_interval: float = _help("seconds an idle worker waits before looking at the spool again", 0.1)
    batch_size: int = _help(
        "most waiting messages a worker registers in one transaction (one commit for all; 1 turns it off)", 8
    )
    drain_timeout: float = _help(
        "seconds workers get on SIGTERM to finish the messages in hand (the rest stays in the spool)", 30.0
    )
    retry_first: float = _help(
        "seconds before a message deferred by a fault outside it (database away, disk full) is tried again; the "
        "wait doubles at each deferral", 10.0)
    retry_longest: float = _help("longest wait between two tries of a deferred message, in seconds", 600.0)
    retry_lifetime: float = _help(
        "seconds a message may stay deferred before it goes to bad/ for a person (Postfix's "
        "maximal_queue_lifetime)", 2 * 24 * 3600.0)
    numbering_hold: float = _help(
        "seconds a deferred message holds back the số đến of documents received after it; after that they are "
        "numbered and it takes the next free number when it is registered", 3600.0)
    stall_timeout: float = _help(
        "seconds the oldest waiting message may stay unclaimed before the daemon stops pinging the systemd "
        "watchdog, so that systemd restarts it (0 turns the check off)", 300.0
    )


@dataclass(frozen=True)
class LimitsConfig:
    max_parts: int = _help("most MIME parts walked in one message", 1000)
    max_depth: int = _help("deepest MIME or archive nesting followed", 20)
    max_attachment_size: int = _help("largest single attachment whose text is extracted, in bytes", 100 * MiB)
    zip_max_members: int = _help("most members read from one archive", 1000)
    zip_max_total_size: int = _help("most bytes unpacked from one archive", 500 * MiB)
    zip_max_ratio: int = _help("largest unpacked/packed size ratio accepted for an archive member", 200)
    pdf_max_pages: int = _help("most PDF pages whose text layer is read", 2000)
    text_max_chars: int = _help("most characters of text kept per attachment", 5_000_000)
    max_message_size: int = _help("largest message taken from any intake, in bytes (bigger: quarantined)", 50 * MiB)
    max_headers: int = _help("most header fields in a message (more: quarantined)", 1000)
    max_header_length: int = _help("longest header field, folded lines included, in bytes (longer: quarantined)",
                                   64 * 1024)
    pdf_max_objects: int = _help("most indirect objects in a PDF attachment whose text is read", 500_000)
    max_attachments: int = _help("most file parts whose text is extracted; the rest are kept unread", 200)
    extract_isolated: bool = _help(
        "read attachments in a separate process with the time and memory limits below, so that a hostile file "
        "cannot hang or exhaust the worker", True,
    )
    extract_timeout: float = _help("seconds one attachment may take to read (OCR included)", 60.0)
    extract_memory: int = _help("address space of the reading process, in bytes", 2048 * MiB)
    on_limit: str = _help(
        'when a part hits a limit: "mark" registers the message with the part marked "not extracted: <limit>"; '
        '"quarantine" holds the whole message in quarantine/', "mark",
    )


TRUST_ACTIONS = ("accept", "quarantine", "reject")
TRUST_ACTION_NAMES = {"quarantine": "cách ly", "reject": "từ chối", "accept": "nhận"}  # as people read them
DKIM_MODES = ("auto", "always", "never")


@dataclass(frozen=True)
class TrustConfig:
    allowed_domains: tuple[str, ...] = _help(
        "sender (From) domains registered without question; \"*.gov.vn\" matches gov.vn and every subdomain",
        ("*.gov.vn",),
    )
    domain_overrides: tuple[str, ...] = _help(
        'per-domain actions that win over the rest, as "PATTERN=accept|quarantine|reject"', ()
    )
    other_action: str = _help(
        "what happens to mail from every other domain: quarantine, accept, or reject (550 at SMTP time; "
        "quarantine for IMAP and imports, which cannot be refused)", "quarantine",
    )
    require_auth_domains: tuple[str, ...] = _help(
        "sender domains that must pass DKIM, SPF or DMARC, else the message is quarantined (applies only when "
        "trusted_authserv_ids or verify_dkim gives a result to judge by)", ("*.gov.vn",),
    )
    trusted_authserv_ids: tuple[str, ...] = _help(
        "authserv-ids of our own MTA: only the topmost Authentication-Results header, and only if it carries one "
        "of these, is believed (RFC 8601); empty: every Authentication-Results header is ignored", (),
    )
    trusted_mta_peers: tuple[str, ...] = _help(
        "IP addresses of that MTA: Authentication-Results in SMTP mail from any other peer are ignored; "
        "empty: any peer", (),
    )
    verify_dkim: str = _help(
        'DKIM signatures verified here (dkimpy): "auto" when no trusted Authentication-Results header gave a '
        'result (so a forged sender of require_auth_domains is quarantined even without a front MTA that checks), '
        '"always" (our result replaces the header\'s DKIM), "never"', "auto",
    )
    dns_servers: tuple[str, ...] = _help(
        'resolvers for the DKIM key look-ups, "IP" or "IP:PORT"; empty: the system resolver (/etc/resolv.conf)', ()
    )
    dns_timeout: float = _help("seconds a DKIM key look-up may take", 5.0)


@dataclass(frozen=True)
class RegisterConfig:
    agency_name: str = _help("name of the receiving agency, printed on the register", "")
    organ_id: str = _help("the receiving agency's mã định danh (edXML OrganId), used in edXML status packages", "")
    main_name: str = _help("name of the incoming register", "Sổ đăng ký văn bản đến")
    secret_name: str = _help("name of the register for secret documents", "Sổ đăng ký văn bản đến (mật)")
    timezone: str = _help("time zone of arrival dates and of the yearly counters", "Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class UnderstandConfig:
    ocr: bool = _help("OCR scanned pages (page-1 header, signer pages) with tesseract before registration", True)
    ocr_dpi: int = _help("resolution pages are rendered at for OCR", 300)
    ocr_max_signer_pages: int = _help("most pages searched backwards from the end for the signer block", 2)
    trust_anchors: tuple[str, ...] = _path(
        "PEM/DER files of the trusted root certificates (Ban Cơ yếu Chính phủ); empty: every signature is "
        '"untrusted-root"', ())


TLS_MODES = ("implicit", "starttls", "none")
ACCOUNT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class ImapAccountConfig:
    name: str = _help("short name of the account, used in logs, the ledger and `gateway imap test NAME`", "")
    host: str = _help("IMAP server host name or address", "")
    port: int = _help("IMAP server port; 0 means 993 for implicit TLS, else 143", 0)
    tls: str = _help('"implicit" (IMAPS), "starttls", or "none" (loopback hosts only)', "implicit")
    tls_ca_file: str = _path("PEM file of the CA that signed the server's certificate; empty: the system's CAs", "")
    username: str = _help("login name", "")
    password_file: str = _path("file holding the password (first line); never logged", "")
    password_env: str = _help("environment variable holding the password, instead of password_file", "")
    folders: tuple[str, ...] = _help("folders watched for new mail", ("INBOX",))
    after_action: str = _help(
        'done on the server once a message is registered: "seen", "keyword:<kw>", "move:<folder>" or "delete"',
        "seen",
    )
    poll_interval: float = _help("seconds between polls when IDLE is off or not offered", 60.0)
    idle: bool = _help("use IMAP IDLE for push when the server offers it", True)

    @property
    def effective_port(self) -> int:
        return self.port or (993 if self.tls == "implicit" else 143)


@dataclass(frozen=True)
class ImapConfig:
    accounts: tuple[ImapAccountConfig, ...] = _help("mailboxes polled for mail, each an [[imap.accounts]] table", ())


@dataclass(frozen=True)
class MetricsConfig:
    listen: str = _help(
        "HOST:PORT of a small HTTP server with /healthz and Prometheus /metrics; empty turns it off", ""
    )


@dataclass(frozen=True)
class RoutingConfig:
    rules_dir: str = _path(
        "folder of routing rule files (*.toml: departments, rules, fallback); empty turns routing off", "",
        kind="folder",
    )
    calendar_file: str = _path(
        "TOML file of announced extra days off (days_off = [...]) and compensating working days "
        "(working_days = [...]), on top of weekends and Vietnamese public holidays", ""
    )
    decision: str = _help(
        'what the rules decide: "final" (units assigned and forwarded at once) or "proposal" (units proposed; '
        "a lãnh đạo's direction assigns and forwards them, ND30 Điều 24)", "final"
    )
    direction_roles: tuple[str, ...] = _help(
        "roles that may record a leader's direction; add van_thu when the agency's quy chế lets the văn thư "
        "record it for the leader", ("admin", "lanh_dao")
    )


@dataclass(frozen=True)
class FollowupConfig:
    send: bool = _help("send the daily follow-up (đôn đốc): each unit its work due soon or overdue", False)
    at: str = _help("local time (HH:MM, register.timezone) the daily follow-up is sent at", "07:30")
    due_within: int = _help("working days ahead the follow-up looks (0: only work due today or overdue)", 3)
    summary_to: str = _help("address that gets the summary of every unit's due and overdue work (the văn thư); "
                            "empty: no summary", "")


@dataclass(frozen=True)
class OutboxConfig:
    relay_host: str = _help("SMTP relay that forwards and receipts are sent through; empty keeps them queued", "")
    relay_port: int = _help("port of the relay", 25)
    starttls: bool = _help("use STARTTLS with the relay (required for auth to a non-loopback relay)", False)
    tls_ca_file: str = _path("PEM file of the CA that signed the relay's certificate; empty: the system's CAs", "")
    username: str = _help("login at the relay; empty means no AUTH", "")
    password_file: str = _path("file holding the relay password (first line); never logged", "")
    password_env: str = _help("environment variable holding the relay password, instead of password_file", "")
    from_address: str = _help("From address (and envelope sender) of forwards and receipts", "vanthu@localhost")
    verp: bool = _help(
        "send each mail with a return path naming its outbox row (local+ob-ID-TOKEN@domain of from_address, "
        "with smtp.recipient_delimiter), so that a bounce marks that mail failed instead of becoming a document",
        True,
    )
    receipt_domains: tuple[str, ...] = _help(
        "sender domains (globs such as *.gov.vn) that may get a receipt; any other sender gets none "
        "(no backscatter to forged senders)", ()
    )
    retry_period: float = _help("seconds a mail is retried after a 4xx or a connection failure before it fails",
                                2 * 24 * 3600.0)
    backoff_initial: float = _help("seconds before the first retry; doubled at each further one", 60.0)
    backoff_max: float = _help("longest wait between two retries, in seconds", 3600.0)
    lease: float = _help("seconds a sender may hold a claimed mail before another sender may take it over", 300.0)
    poll_interval: float = _help("seconds the sender waits between looks at the outbox when it is idle", 2.0)
    timeout: float = _help("seconds an SMTP conversation with the relay may stall", 60.0)


@dataclass(frozen=True)
class LoopConfig:
    id: str = _help(
        "this installation's id, put in the X-Gateway-Loop header of every mail the gateway sends; mail that "
        "comes back with it is quarantined as a mail loop (vòng lặp thư); empty: outbox.from_address", "",
    )
    max_received: int = _help(
        "most Received header lines a message may carry; more means it went round a loop (quarantined)", 30,
    )


@dataclass(frozen=True)
class WebConfig:
    listen: str = _help("HOST:PORT of the web UI and JSON API; empty turns it off in `gateway serve`", "")
    session_minutes: int = _help("minutes a login lasts before the user must log in again", 480)
    proxy_user_header: str = _help(
        "header carrying the user name set by a reverse proxy that authenticated the user (e.g. X-Remote-User); "
        "empty ignores such headers", ""
    )
    trusted_proxies: tuple[str, ...] = _help(
        "addresses or networks of reverse proxies whose proxy_user_header is believed; no one else's is", ()
    )
    secret_roles: tuple[str, ...] = _help(
        "roles that see the secret register; other users only when their account allows it",
        ("admin", "van_thu"),
    )
    due_soon_days: int = _help("assignments due within this many days show as due soon on the dashboard", 3)
    cookie_secure: bool = _help("send the session cookie only over HTTPS (turn on behind a TLS proxy)", False)
    review_below: float = _help(
        "read fields with a confidence below this (0..1) are marked on the document page, and the register lists "
        "the document under «Cần xem lại» until a văn thư confirms or corrects them", 0.9,
    )
    short_names: tuple[str, ...] = _help(
        'agency names as the register list shows them, "FULL NAME=SHORT" (matched ignoring case and '
        "diacritics); the sổ, exports and the document page keep the full name", (),
    )
    abbreviate_names: bool = _help(
        "shorten other agency names in the register list by the built-in rule (Ủy ban nhân dân → UBND, "
        "Hội đồng nhân dân → HĐND, names in capitals written in normal case)", True,
    )
    login_max_failures: int = _help("failed logins of one user name within login_window_minutes before further "
                                    "tries are refused", 5)
    login_max_failures_per_address: int = _help("failed logins from one address within login_window_minutes "
                                                "before further tries from it are refused", 20)
    login_window_minutes: int = _help("minutes a failed login counts against the limits above", 15)


@dataclass(frozen=True)
class LoggingConfig:
    level: str = _help("DEBUG, INFO, WARNING or ERROR", "INFO")


@dataclass(frozen=True)
class Config:
    paths: PathsConfig = _help_factory("where the data lives", PathsConfig)
    database: DatabaseConfig = _help_factory("the register database", DatabaseConfig)
    host: HostConfig = _help_factory("this host, when several share one register", HostConfig)
    smtp: SmtpConfig = _help_factory("SMTP intake", SmtpConfig)
    workers: WorkersConfig = _help_factory("worker processes", WorkersConfig)
    limits: LimitsConfig = _help_factory("limits on what is unpacked and read", LimitsConfig)
    trust: TrustConfig = _help_factory("which senders are registered, and how they are authenticated", TrustConfig)
    register: RegisterConfig = _help_factory("the incoming register", RegisterConfig)
    understand: UnderstandConfig = _help_factory("reading the document's fields: OCR and signatures", UnderstandConfig)
    metrics: MetricsConfig = _help_factory("health and metrics over HTTP", MetricsConfig)
    web: WebConfig = _help_factory("web UI and JSON API for people and e-office systems", WebConfig)

    imap: ImapConfig = _help_factory("IMAP intake", ImapConfig)
    routing: RoutingConfig = _help_factory("routing rules and working days", RoutingConfig)
    outbox: OutboxConfig = _help_factory("outbound mail: forwards to departments and receipts", OutboxConfig)
    followup: FollowupConfig = _help_factory("the daily follow-up of due work (đôn đốc)", FollowupConfig)
    loop: LoopConfig = _help_factory("mail loops: the header that marks our own mail, the hop limit", LoopConfig)
    logging: LoggingConfig = _help_factory("logging", LoggingConfig)
    source: str = field(default="(built-in defaults)", metadata={"help": "file the settings came from"})

    @property
    def data_dir(self) -> Path:
        return Path(self.paths.data_dir).expanduser().resolve()

    @property
    def spool_dir(self) -> Path:
        return self.data_dir / "spool"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite:///{self.data_dir / 'register.sqlite3'}"

    @property
    def host_name(self) -> str:
        return self.host.name or socket.gethostname()

    @property
    def worker_count(self) -> int:
        return self.workers.count or (os.cpu_count() or 1)

    @property
    def loop_id(self) -> str:
        """The value of the X-Gateway-Loop header this installation puts on its mail and looks for."""
        return (self.loop.id or self.outbox.from_address).strip().lower()


def find_config_file(explicit: str | os.PathLike | None) -> Path | None:
    """The file to read: the one given, else ./gateway.toml, else /etc/gateway/gateway.toml, else none."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"{path.absolute()}: no such config file")
        return path
    for candidate in SEARCH_PATHS:
        if candidate.is_file():
            return candidate
    return None


def load_config(explicit: str | os.PathLike | None = None, overrides: dict[str, object] | None = None) -> Config:
    """Read the config file (see find_config_file) and apply dotted-key overrides such as ``smtp.listen``.

    Relative paths in the file are taken relative to the file's folder, so the same file means the same
    folders whatever the working directory; relative overrides (command-line options) to the working
    directory. Every problem found is reported at once, in one ConfigError.
    """
    config, problems = read_config(explicit, overrides)
    if problems:
        raise ConfigError.of(problems)
    return config


def read_config(explicit: str | os.PathLike | None = None,
                overrides: dict[str, object] | None = None) -> tuple[Config, list[str]]:
    """The configuration and every problem in it; a key with a problem keeps its default, so that a checker can
    go on to look at the rest. ConfigError only when the file cannot be found, read or parsed."""
    path = find_config_file(explicit)
    data: dict = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as err:
            raise ConfigError(f"{path.absolute()}: cannot read: {err}") from err
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(f"{path.absolute()}: not valid TOML: {err}") from err
        _absolute_paths(Config, data, path.absolute().parent)
    given: dict = {}
    for dotted, value in (overrides or {}).items():
        section, _, key = dotted.partition(".")
        given.setdefault(section, {})[key] = value
    _absolute_paths(Config, given, Path.cwd())
    for section, values in given.items():
        if isinstance(data.setdefault(section, {}), dict):  # else _build reports that it must be a table
            data[section].update(values)
    _old_spellings(data)
    source = str(path.absolute()) if path else "(built-in defaults)"
    problems: list[str] = []
    config = dataclasses.replace(_build(Config, data, source, "", problems), source=source)
    return config, problems + config_problems(config)


def _old_spellings(data: dict) -> None:
    """Values written before a key changed type: trust.verify_dkim was true/false, now always/never (or auto)."""
    trust = data.get("trust")
    if isinstance(trust, dict) and isinstance(trust.get("verify_dkim"), bool):
        trust["verify_dkim"] = "always" if trust["verify_dkim"] else "never"


def _absolute_paths(cls, data: object, base: Path) -> None:
    """Make the relative file and folder names in ``data`` (the raw tables of ``cls``) absolute, in place."""
    if not isinstance(data, dict):
        return
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key, value in data.items():
        if key not in fields:
            continue
        hint, kind = hints[key], fields[key].metadata.get("path")
        if dataclasses.is_dataclass(hint):
            _absolute_paths(hint, value, base)
        elif typing.get_origin(hint) is tuple and dataclasses.is_dataclass(typing.get_args(hint)[0]):
            for item in value if isinstance(value, list) else ():
                _absolute_paths(typing.get_args(hint)[0], item, base)
        elif kind == "url" and isinstance(value, str):
            data[key] = _absolute_sqlite(value, base)
        elif kind and isinstance(value, str):
            data[key] = _absolute(value, base)
        elif kind and isinstance(value, list):
            data[key] = [_absolute(item, base) if isinstance(item, str) else item for item in value]


def _absolute(value: str, base: Path) -> str:
    if not value.strip():
        return value
    path = Path(value).expanduser()
    return os.path.normpath(path if path.is_absolute() else base / path)


_SQLITE_RELATIVE = re.compile(r"(sqlite(?:\+\w+)?:///)(?!/)([^?]+)(\?.*)?")


def _absolute_sqlite(url: str, base: Path) -> str:
    """sqlite:///relative.db made relative to ``base``; other URLs as they are."""
    match = _SQLITE_RELATIVE.fullmatch(url.strip())
    if not match or match.group(2) == ":memory:":
        return url
    return f"{match.group(1)}{_absolute(match.group(2), base)}{match.group(3) or ''}"


def _build(cls, data: object, source: str, prefix: str, problems: list[str]):
    """An instance of ``cls`` from its raw table; a key that is unknown or of the wrong type is added to
    ``problems`` and keeps its default, so that every other key is still checked."""
    if not isinstance(data, dict):
        problems.append(f"{source}: [{prefix.rstrip('.')}] must be a table")
        return cls()
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls) if f.name != "source"}
    values = {}
    for key, raw in data.items():
        if key not in known:
            problems.append(f"{source}: unknown key {prefix}{key!s}; known keys: {', '.join(sorted(known))}")
            continue
        try:
            values[key] = _coerce(hints[key], raw, source, f"{prefix}{key}", problems)
        except ConfigError as err:
            problems.append(str(err))
    return cls(**values)


def _coerce(hint, raw, source: str, key: str, problems: list[str]):
    if dataclasses.is_dataclass(hint):
        return _build(hint, raw, source, f"{key}.", problems)
    origin = typing.get_origin(hint)
    if origin is tuple and dataclasses.is_dataclass(typing.get_args(hint)[0]):
        if not isinstance(raw, (list, tuple)):
            raise ConfigError(f"{source}: {key} must be an array of tables ([[{key}]]), not {raw!r}")
        item = typing.get_args(hint)[0]
        return tuple(_build(item, entry, source, f"{key}[{n}].", problems) for n, entry in enumerate(raw))
    if origin is tuple:
        if not isinstance(raw, (list, tuple)) or not all(isinstance(item, str) for item in raw):
            raise ConfigError(f"{source}: {key} must be a list of strings, not {raw!r}")
        return tuple(raw)
    if origin in (typing.Union, types.UnionType):
        hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
    if hint is bool:
        if not isinstance(raw, bool):
            raise ConfigError(f"{source}: {key} must be true or false, not {raw!r}")
        return raw
    if hint is int:
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ConfigError(f"{source}: {key} must be an integer, not {raw!r}")
        return raw
    if hint is float:
        if isinstance(raw, bool) or not isinstance(raw, (int, float)):
            raise ConfigError(f"{source}: {key} must be a number, not {raw!r}")
        return float(raw)
    if hint is str:
        if not isinstance(raw, str):
            raise ConfigError(f"{source}: {key} must be a string, not {raw!r}")
        return raw
    raise ConfigError(f"{source}: {key} has an unsupported type")  # pragma: no cover - a bug in this module


def parse_host_port(text: str, what: str = "listen address") -> tuple[str, int]:
    """Split "HOST:PORT" (or "[v6]:PORT") into its parts."""
    match = re.fullmatch(r"\[?([^\[\]]*?)\]?:(\d{1,5})", text.strip())
    if not match or not (0 <= int(match.group(2)) <= 65535):
        raise ConfigError(f"{what} must be HOST:PORT, not {text!r}")
    return match.group(1) or "127.0.0.1", int(match.group(2))


def validate(config: Config) -> None:
    """Raise ConfigError with every problem config_problems() finds."""
    problems = config_problems(config)
    if problems:
        raise ConfigError.of(problems)


def config_problems(config: Config) -> list[str]:
    """Checks that cross keys or need more than a type, each problem naming the file and the key."""
    src = config.source
    out: list[str] = []
    try:
        parse_host_port(config.smtp.listen)
    except ConfigError as err:
        out.append(f"{src}: smtp.listen: {err}")
    if config.metrics.listen:
        try:
            parse_host_port(config.metrics.listen)
        except ConfigError as err:
            out.append(f"{src}: metrics.listen: {err}")
    _validate_web(config.web, src, out)
    if bool(config.smtp.tls_cert) != bool(config.smtp.tls_key):
        out.append(f"{src}: smtp.tls_cert and smtp.tls_key must be given together")
    if config.smtp.require_tls and not config.smtp.tls_cert:
        out.append(f"{src}: smtp.require_tls needs smtp.tls_cert and smtp.tls_key")
    for key, value in (("smtp.tls_cert", config.smtp.tls_cert), ("smtp.tls_key", config.smtp.tls_key)):
        if value and not Path(value).is_file():
            out.append(f"{src}: {key}: no such file {value}")
    if not config.smtp.accept_recipients and not config.smtp.accept_domains:
        out.append(f"{src}: smtp.accept_recipients or smtp.accept_domains must name at least one address")
    for key, value in (
        ("smtp.max_message_size", config.smtp.max_message_size),
        ("smtp.max_recipients", config.smtp.max_recipients),
        ("smtp.idle_timeout", config.smtp.idle_timeout),
        ("workers.max_attempts", config.workers.max_attempts),
        ("workers.batch_size", config.workers.batch_size),
    ):
        if value <= 0:
            out.append(f"{src}: {key} must be positive, not {value}")
    for key, number in (("workers.drain_timeout", config.workers.drain_timeout),
                        ("workers.stall_timeout", config.workers.stall_timeout)):
        if number < 0:
            out.append(f"{src}: {key} must be 0 or more, not {number}")
    if config.workers.count < 0:
        out.append(f"{src}: workers.count must be 0 (one per CPU) or more")
    if config.logging.level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        out.append(f"{src}: logging.level must be DEBUG, INFO, WARNING or ERROR")
    _validate_imap(config.imap, src, out)
    _validate_trust(config.trust, src, out)
    if config.limits.on_limit not in ("mark", "quarantine"):
        out.append(f"{src}: limits.on_limit must be mark or quarantine, not {config.limits.on_limit!r}")
    for key in ("max_message_size", "max_headers", "max_header_length", "max_attachments", "extract_memory"):
        if getattr(config.limits, key) <= 0:
            out.append(f"{src}: limits.{key} must be positive")
    if config.limits.extract_timeout <= 0:
        out.append(f"{src}: limits.extract_timeout must be positive")
    _validate_outbox(config.outbox, src, out)
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", config.followup.at):
        out.append(f"{src}: followup.at must be a time HH:MM, not {config.followup.at!r}")
    if config.followup.due_within < 0:
        out.append(f"{src}: followup.due_within must be 0 or more")
    if config.routing.decision not in ("final", "proposal"):
        out.append(f"{src}: routing.decision must be final or proposal, not {config.routing.decision!r}")
    if config.loop.max_received <= 0:
        out.append(f"{src}: loop.max_received must be positive, not {config.loop.max_received}")
    if len(config.smtp.recipient_delimiter) > 1 or config.smtp.recipient_delimiter.isalnum() \
            or config.smtp.recipient_delimiter in ("@", ".", " "):
        out.append(f"{src}: smtp.recipient_delimiter must be empty or one character such as + or -, "
                   f"not {config.smtp.recipient_delimiter!r}")
    for key, seconds in (("host.heartbeat_interval", config.host.heartbeat_interval),
                         ("host.imap_lease", config.host.imap_lease),
                         ("host.numbering_wait", config.host.numbering_wait)):
        if seconds <= 0:
            out.append(f"{src}: {key} must be positive, not {seconds}")
    if 0 < config.host.numbering_wait <= config.host.heartbeat_interval:
        out.append(f"{src}: host.numbering_wait must be longer than host.heartbeat_interval, or live hosts would "
                   "look silent between their heartbeats and be numbered past")
    if config.database.blobs not in ("filesystem", "database"):
        out.append(f"{src}: database.blobs must be filesystem or database, not {config.database.blobs!r}")
    url = config.database.url
    if url and not re.match(r"^(sqlite|postgresql)(\+\w+)?://", url):
        out.append(f"{src}: database.url must be a sqlite:// or postgresql:// URL")
    try:
        import zoneinfo

        zoneinfo.ZoneInfo(config.register.timezone)
    except Exception:  # noqa: BLE001 - zoneinfo raises several kinds for a bad name
        out.append(f"{src}: register.timezone: unknown time zone {config.register.timezone!r}")
    return out


def _validate_web(web: WebConfig, src: str, out: list[str]) -> None:
    if web.listen:
        try:
            parse_host_port(web.listen)
        except ConfigError as err:
            out.append(f"{src}: web.listen: {err}")
    if web.session_minutes <= 0:
        out.append(f"{src}: web.session_minutes must be positive, not {web.session_minutes}")
    if web.due_soon_days < 0:
        out.append(f"{src}: web.due_soon_days must be 0 or more")
    for proxy in web.trusted_proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            out.append(f"{src}: web.trusted_proxies: {proxy!r} is not an address or network")
    for role in web.secret_roles:
        if role not in ("admin", "van_thu", "lanh_dao", "chuyen_vien"):
            out.append(f"{src}: web.secret_roles: unknown role {role!r}")
    if web.trusted_proxies and not web.proxy_user_header:
        out.append(f"{src}: web.trusted_proxies needs web.proxy_user_header")
    if not 0.0 <= web.review_below <= 1.0:
        out.append(f"{src}: web.review_below must be between 0 and 1, not {web.review_below}")
    for entry in web.short_names:
        full, eq, short = entry.partition("=")
        if not eq or not full.strip() or not short.strip():
            out.append(f"{src}: web.short_names: {entry!r} must be FULL NAME=SHORT")
    for key in ("login_max_failures", "login_max_failures_per_address", "login_window_minutes"):
        if getattr(web, key) <= 0:
            out.append(f"{src}: web.{key} must be positive")


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (where a plaintext IMAP login is acceptable)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _validate_imap(imap: ImapConfig, src: str, out: list[str]) -> None:
    seen: set[str] = set()
    for n, account in enumerate(imap.accounts):
        key = f"imap.accounts[{n}]"
        if not ACCOUNT_NAME.fullmatch(account.name):
            out.append(f"{src}: {key}.name must be 1-64 letters, digits, '.', '_' or '-', not {account.name!r}")
        if account.name in seen:
            out.append(f"{src}: {key}.name {account.name!r} is used twice")
        seen.add(account.name)
        key = f"imap.accounts[{account.name}]"
        _validate_account(account, key, src, out)


def _validate_trust(trust: TrustConfig, src: str, out: list[str]) -> None:
    if trust.other_action not in TRUST_ACTIONS:
        out.append(f"{src}: trust.other_action must be one of {', '.join(TRUST_ACTIONS)}, "
                   f"not {trust.other_action!r}")
    for entry in trust.domain_overrides:
        pattern, eq, action = entry.partition("=")
        if not eq or not pattern.strip() or action.strip() not in TRUST_ACTIONS:
            out.append(f"{src}: trust.domain_overrides: {entry!r} must be PATTERN=accept|quarantine|reject")
    for server in trust.dns_servers:
        host, _, port = server.rpartition(":") if server.count(":") == 1 else (server, "", "")
        try:
            ipaddress.ip_address(host or server)
        except ValueError:
            out.append(f"{src}: trust.dns_servers: {server!r} is not IP or IP:PORT")
        if port and not port.isdigit():
            out.append(f"{src}: trust.dns_servers: {server!r} has a bad port")
    if trust.dns_timeout <= 0:
        out.append(f"{src}: trust.dns_timeout must be positive")
    if trust.verify_dkim not in DKIM_MODES:
        out.append(f"{src}: trust.verify_dkim must be one of {', '.join(DKIM_MODES)}, not {trust.verify_dkim!r}")


def _validate_account(account: ImapAccountConfig, key: str, src: str, out: list[str]) -> None:
    if not account.host or not account.username:
        out.append(f"{src}: {key}: host and username are required")
    if account.tls not in TLS_MODES:
        out.append(f"{src}: {key}.tls must be one of {', '.join(TLS_MODES)}, not {account.tls!r}")
    if account.tls == "none" and not is_loopback(account.host):
        out.append(f"{src}: {key}.tls = \"none\" is allowed only for loopback hosts, not {account.host!r}")
    if account.tls_ca_file and not Path(account.tls_ca_file).is_file():
        out.append(f"{src}: {key}.tls_ca_file: no such file {account.tls_ca_file}")
    if not 0 <= account.port <= 65535:
        out.append(f"{src}: {key}.port must be 0..65535, not {account.port}")
    if bool(account.password_file) == bool(account.password_env):
        out.append(f"{src}: {key}: give exactly one of password_file and password_env")
    if not account.folders or not all(account.folders):
        out.append(f"{src}: {key}.folders must name at least one folder")
    kind, _, arg = account.after_action.partition(":")
    if not (kind in ("seen", "delete") and not arg or kind in ("keyword", "move") and arg.strip()):
        out.append(
            f"{src}: {key}.after_action must be seen, keyword:<kw>, move:<folder> or delete, "
            f"not {account.after_action!r}"
        )
    if kind == "keyword" and not re.fullmatch(r"[A-Za-z0-9$_.+-]+", arg):
        out.append(f"{src}: {key}.after_action: {arg!r} is not a valid IMAP keyword")
    if account.poll_interval <= 0:
        out.append(f"{src}: {key}.poll_interval must be positive, not {account.poll_interval}")


def _validate_outbox(outbox: OutboxConfig, src: str, out: list[str]) -> None:
    if not 0 < outbox.relay_port <= 65535:
        out.append(f"{src}: outbox.relay_port must be 1..65535, not {outbox.relay_port}")
    if outbox.password_file and outbox.password_env:
        out.append(f"{src}: outbox: give at most one of password_file and password_env")
    if outbox.username and not (outbox.password_file or outbox.password_env):
        out.append(f"{src}: outbox.username needs password_file or password_env")
    if outbox.username and not outbox.starttls and outbox.relay_host and not is_loopback(outbox.relay_host):
        out.append(f"{src}: outbox: a password goes to {outbox.relay_host} only over STARTTLS")
    if outbox.tls_ca_file and not Path(outbox.tls_ca_file).is_file():
        out.append(f"{src}: outbox.tls_ca_file: no such file {outbox.tls_ca_file}")
    if not re.fullmatch(r"[^@\s]+@[^@\s]+", outbox.from_address):
        out.append(f"{src}: outbox.from_address must be an e-mail address, not {outbox.from_address!r}")
    for key in ("retry_period", "backoff_initial", "backoff_max", "lease", "poll_interval", "timeout"):
        if getattr(outbox, key) <= 0:
            out.append(f"{src}: outbox.{key} must be positive")


def mask_secret_url(url: str) -> str:
    """Hide the password in a database URL."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1****@", url)


def render_toml(config: Config) -> str:
    """The effective configuration as TOML, each key with its help line, secrets masked."""
    lines = [f"# effective configuration (from {config.source})"]
    for section in dataclasses.fields(Config):
        if section.name == "source":
            continue
        lines.append("")
        lines.append(f"[{section.name}]  # {section.metadata['help']}")
        value = getattr(config, section.name)
        if section.name == "imap":
            lines.extend(_render_accounts(value.accounts))
            continue
        for item in dataclasses.fields(value):
            current = getattr(value, item.name)
            if section.name == "database" and item.name == "url":
                current = mask_secret_url(current or config.database_url)
            lines.append(f"# {item.metadata['help']}")
            lines.append(f"{item.name} = {_toml_value(current)}")
    return "\n".join(lines) + "\n"


def _render_accounts(accounts: tuple[ImapAccountConfig, ...]) -> list[str]:
    """[[imap.accounts]] tables; password_file and password_env name where the secret is, never the secret."""
    lines = [f"# {ImapConfig.__dataclass_fields__['accounts'].metadata['help']}"]
    if not accounts:
        lines.append("accounts = []")
    for account in accounts:
        lines.append("")
        lines.append("[[imap.accounts]]")
        for item in dataclasses.fields(account):
            lines.append(f"# {item.metadata['help']}")
            lines.append(f"{item.name} = {_toml_value(getattr(account, item.name))}")
    return lines


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
