"""`gateway doctor`: checks that an installation can work, each giving one OK, WARN or FAIL line."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

from gateway.core.config import Config
from gateway.core.errors import GatewayError
from gateway.register.service import Register
from gateway.spool import QUEUES
from gateway.trust.dkimcheck import describe_resolver

OK, WARN, FAIL = "OK", "WARN", "FAIL"
GiB = 1024**3
DISK_FAIL_BYTES = GiB // 4
DISK_WARN_BYTES = 2 * GiB
CLOCK_SKEW_WARN_S = 60.0
EARLIEST_PLAUSIBLE = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class Check:
    """One check's verdict: OK, WARN (works, but something is missing) or FAIL (the gateway cannot work)."""

    name: str
    level: str
    detail: str

    def line(self) -> str:
        return f"{self.level:<4}  {self.name}: {self.detail}"


def check_config(config: Config) -> Check:
    """The file is valid (or it would not have loaded) and what `serve` needs from it is in place."""
    from gateway.ops.preflight import preflight

    problems = preflight(config, rules=False)  # the rules get a line of their own
    if problems:
        more = f" (and {len(problems) - 1} more: `gateway config check` lists them)" if len(problems) > 1 else ""
        return Check("config", FAIL, problems[0] + more)
    return Check("config", OK, f"{config.source} is valid; the folders and files it names are usable")


def check_database(config: Config) -> Check:
    try:
        register = Register(config)
        try:
            register.check()
        finally:
            register.close()
    except GatewayError as err:
        return Check("database", FAIL, str(err))
    return Check("database", OK, "answers and its schema is at the newest migration")


def check_spool(config: Config) -> Check:
    """Every spool folder and the blob store exist and take a new file."""
    folders = [config.spool_dir / "tmp", *(config.spool_dir / queue for queue in QUEUES), config.blob_dir]
    for folder in folders:
        try:
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-"):
                pass
        except OSError as err:
            return Check("spool", FAIL, f"cannot write in {folder}: {err.strerror or err} "
                                        "(`gateway serve` creates the folders; check owner and mode)")
    return Check("spool", OK, f"{len(folders)} folders under {config.data_dir} are writable")


def check_disk(config: Config) -> Check:
    try:
        usage = shutil.disk_usage(config.data_dir)
    except OSError as err:
        return Check("disk", FAIL, f"cannot read free space of {config.data_dir}: {err}")
    free = f"{usage.free / GiB:.1f} GiB free of {usage.total / GiB:.1f} GiB in {config.data_dir}"
    if usage.free < DISK_FAIL_BYTES:
        return Check("disk", FAIL, free + " (the spool will refuse mail)")
    if usage.free < DISK_WARN_BYTES or usage.free < usage.total * 0.05:
        return Check("disk", WARN, free)
    return Check("disk", OK, free)


def check_antiword() -> Check:
    path = shutil.which("antiword")
    if path is None:
        return Check("antiword", FAIL, "not found: the text of Word 97-2003 (.doc) attachments cannot be read "
                                       "(apt-get install antiword)")
    return Check("antiword", OK, path)


def check_tesseract() -> Check:
    """OCR reads scans through tesserocr with the Vietnamese traineddata (Debian's tesseract-ocr-vie)."""
    from gateway.understand import ocr

    try:
        import tesserocr  # noqa: F401 - only whether it loads
    except ImportError as err:
        return Check("ocr", WARN, f"tesserocr does not load ({err}): OCR will not work, scanned PDFs get no text "
                                  "(reinstall the gateway's Python packages)")
    if ocr.tessdata_folder() is None:
        where = os.environ.get("TESSDATA_PREFIX") or ", ".join(ocr.TESSDATA_DIRS)
        return Check("ocr", WARN, f"no vie.traineddata in {where}: OCR will not work, scanned PDFs get no text "
                                  "(apt-get install tesseract-ocr-vie)")
    return Check("ocr", OK, "tesserocr with Vietnamese (vie)")


def check_clock(config: Config, now: dt.datetime | None = None) -> Check:
    """The clock is plausible and not behind the newest registration (số đến years come from it)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    if now < EARLIEST_PLAUSIBLE:
        return Check("clock", FAIL, f"system time {now.isoformat()} is before {EARLIEST_PLAUSIBLE.year}")
    try:
        register = Register(config)
        try:
            last = register.activity().last_registered_at
        finally:
            register.close()
    except GatewayError:
        last = None  # the database check reports why
    if last is not None and last > now + dt.timedelta(seconds=CLOCK_SKEW_WARN_S):
        return Check("clock", FAIL, f"system time {now.isoformat()} is behind the newest registration "
                                    f"{last.isoformat()}: fix the clock (timedatectl) before registering more")
    return Check("clock", OK, f"{now.isoformat(timespec='seconds')} (UTC), register time zone "
                              f"{config.register.timezone}")


def check_trust(config: Config) -> Check:
    """How forged senders are caught, in words: the front MTA's Authentication-Results, our own DKIM check (and
    through which resolver), or nothing (WARN); and that only authenticated senders get a receipt."""
    trust = config.trust
    guarded = ", ".join(trust.require_auth_domains) or "no domain"
    if trust.trusted_authserv_ids:
        local = {"auto": "DKIM is verified here when that header is missing",
                 "always": "DKIM is verified here as well", "never": "no DKIM check here"}[trust.verify_dkim]
        peers = f" from {', '.join(trust.trusted_mta_peers)}" if trust.trusted_mta_peers else ""
        return Check("trust", OK, f"senders judged by the topmost Authentication-Results of "
                                  f"{', '.join(trust.trusted_authserv_ids)}{peers} (the MTA must strip that header "
                                  f"from incoming mail); {local}; {guarded} senders that pass nothing are "
                                  f"quarantined; receipts only to authenticated senders; others: {trust.other_action}")
    if trust.verify_dkim == "never":
        return Check("trust", WARN, "sender authentication is not judged (trust.verify_dkim = \"never\" and no "
                                    "trust.trusted_authserv_ids): a forged .gov.vn sender would be registered "
                                    "(it gets no receipt)")
    resolver = describe_resolver(trust)
    if not resolver:
        return Check("trust", FAIL, "DKIM is verified here but the system resolver has no nameserver "
                                    "(/etc/resolv.conf): every check would fail and .gov.vn mail be quarantined; "
                                    "set trust.dns_servers")
    return Check("trust", OK, f"no trusted Authentication-Results (trust.trusted_authserv_ids is empty), so DKIM is "
                              f"verified here through {resolver}: a {guarded} sender whose mail is not signed by "
                              f"its domain is quarantined, and only authenticated senders get a receipt; when the "
                              f"MTA in front checks SPF/DKIM/DMARC, set trust.trusted_authserv_ids to its id; "
                              f"others: {trust.other_action}")


def check_rules(config: Config) -> Check:
    """The routing rule files load (WARN when routing is off: every document waits for the văn thư)."""
    from gateway.routing.router import own_address_of
    from gateway.routing.rules import check_rules as problems_in

    if not config.routing.rules_dir:
        return Check("rules", WARN, "routing.rules_dir is not set: documents are registered but not routed")
    problems = problems_in(config.routing.rules_dir, own_address_of(config))
    if problems:
        return Check("rules", FAIL, f"{len(problems)} problem(s), first: {problems[0]}; see `gateway rules check`")
    return Check("rules", OK, f"{config.routing.rules_dir} loads")


def run_checks(config: Config) -> list[Check]:
    """Every check, in the order an operator would fix them."""
    checks: list[Callable[[], Check]] = [
        lambda: check_config(config), lambda: check_database(config), lambda: check_spool(config),
        lambda: check_rules(config), lambda: check_disk(config), check_antiword, check_tesseract, lambda: check_clock(config),
        lambda: check_trust(config),
    ]
    return [check() for check in checks]
