"""The `gateway` command line: thin click commands that call the library and turn errors into exit codes."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import click

from gateway import __version__
from gateway.core.config import Config, load_config, render_toml
from gateway.core.errors import ConfigError, GatewayError, NotFound
from gateway.core.logs import setup_logging

EXIT_ERROR = 1
EXIT_CONFIG = 3
EXIT_NOT_FOUND = 4


def _fail(message: str, code: int, hint: str = "") -> None:
    click.echo(f"gateway: error: {message}", err=True)
    if hint:
        click.echo(f"hint: {hint}", err=True)
    sys.exit(code)


def handle_errors(func):
    """Print a GatewayError as one clear line and exit with its code instead of a traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ConfigError as err:
            _fail(str(err), EXIT_CONFIG, "check the file with `gateway config check`")
        except NotFound as err:
            _fail(str(err), EXIT_NOT_FOUND)
        except GatewayError as err:
            _fail(str(err), EXIT_ERROR)

    return wrapper


def get_config(ctx: click.Context) -> Config:
    return ctx.obj["config_loader"]()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="TOML config file "
              "(default: ./gateway.toml, else /etc/gateway/gateway.toml, else built-in defaults).")
@click.option("--data-dir", help="Override paths.data_dir: where the spool, blobs and SQLite register live.")
@click.option("--database", help="Override database.url (sqlite:///FILE or postgresql+psycopg://...).")
@click.option("--smtp-listen", help="Override smtp.listen (HOST:PORT).")
@click.option("--web-listen", help="Override web.listen (HOST:PORT of the web UI and JSON API).")
@click.option("-v", "--verbose", is_flag=True, help="Log at DEBUG level.")
@click.version_option(__version__, prog_name="gateway")
@click.pass_context
def main(ctx: click.Context, config_path, data_dir, database, smtp_listen, web_listen, verbose) -> None:
    """E-mail document gateway: takes official mail in, registers each document with its số đến."""
    overrides = {}
    if data_dir:
        overrides["paths.data_dir"] = data_dir
    if database:
        overrides["database.url"] = database
    if smtp_listen:
        overrides["smtp.listen"] = smtp_listen
    if web_listen:
        overrides["web.listen"] = web_listen

    @functools.cache
    def loader() -> Config:
        config = load_config(config_path, overrides)
        setup_logging("DEBUG" if verbose else config.logging.level)
        return config

    ctx.obj = {"config_loader": loader}


# --- serve, import -----------------------------------------------------------------------------------------


@main.command()
@click.option("--workers", type=click.IntRange(1, 64), help="Worker processes (default: workers.count).")
@click.pass_context
@handle_errors
def serve(ctx: click.Context, workers: int | None) -> None:
    """Run the gateway: SMTP and IMAP intake, the workers that register and route spooled mail, the outbox
    sender when outbox.relay_host is set, and the web UI when web.listen (or --web-listen) is set."""
    from gateway.daemon import Daemon

    sys.exit(Daemon(get_config(ctx), workers).run())


@main.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per message on stdout.")
@click.pass_context
@handle_errors
def import_(ctx: click.Context, paths: tuple[Path, ...], as_json: bool) -> None:
    """Register .eml files, mbox files and Maildir folders now, printing what each became."""
    from gateway.intake.importer import Importer, count_messages, find_messages
    from gateway.register.service import Register
    from gateway.spool import Spool

    config = get_config(ctx)
    spool = Spool(config.spool_dir, config.workers.max_attempts)
    spool.ensure()
    from gateway.routing.router import open_router

    register = Register(config)
    register.upgrade()
    importer = Importer(config, spool, register, open_router(config, register))
    totals = {"registered": 0, "duplicate": 0, "already-registered": 0, "quarantined": 0, "bad": 0}
    lines = []
    try:
        with click.progressbar(length=count_messages(list(paths)), label="importing", file=sys.stderr) as bar:
            for item in find_messages(list(paths)):
                outcome = importer.import_one(item)
                kind = outcome.registration.outcome if outcome.registration else (
                    "quarantined" if outcome.quarantined else "bad")
                totals[kind] += 1
                lines.append(_describe_import(item.source_ref, outcome, as_json))
                bar.update(1)
    finally:
        register.close()
    for line in lines:
        click.echo(line)
    click.echo(", ".join(f"{count} {kind}" for kind, count in totals.items()), err=True)
    if totals["bad"]:
        click.echo("see them with `gateway spool list bad`", err=True)
        sys.exit(EXIT_ERROR)


def _describe_import(source_ref: str, outcome, as_json: bool) -> str:
    reg = outcome.registration
    if as_json:
        data = {"source": source_ref, "spool_id": outcome.spool_id,
                "outcome": reg.outcome if reg else ("quarantined" if outcome.quarantined else "bad")}
        if reg:
            data.update(document_id=reg.document_id or reg.duplicate_of_document_id, year=reg.year,
                        arrival_number=reg.arrival_number, register=reg.register_code)
        else:
            data["error"] = outcome.error or outcome.quarantined
        return json.dumps(data, ensure_ascii=False)
    if reg is None and outcome.quarantined:
        return f"{source_ref}: quarantined ({outcome.quarantined})"
    if reg is None:
        return f"{source_ref}: moved to bad/ ({outcome.error})"
    if reg.outcome == "registered":
        return f"{source_ref}: registered as số đến {reg.arrival_number}/{reg.year} (document {reg.document_id})"
    return f"{source_ref}: {reg.outcome} of document {reg.duplicate_of_document_id} ({reg.reason})"


# --- search, show ------------------------------------------------------------------------------------------


@main.command()
@click.argument("query", nargs=-1)
@click.option("--since", "date_from", type=click.DateTime(["%Y-%m-%d", "%d/%m/%Y"]), help="Arrived on or after.")
@click.option("--until", "date_to", type=click.DateTime(["%Y-%m-%d", "%d/%m/%Y"]), help="Arrived on or before.")
@click.option("--sender", default="", help="Sender address, or part of it (a domain).")
@click.option("--number", "arrival_number", type=int, help="Số đến.")
@click.option("--year", type=int, help="Year of the số đến.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10000))
@click.option("--offset", default=0, type=click.IntRange(0))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def search(ctx, query, date_from, date_to, sender, arrival_number, year, limit, offset, as_json) -> None:
    """Find documents: all words must match (write OR between alternatives); accents optional."""
    from gateway.register.search import SearchQuery
    from gateway.register.service import Register

    request = SearchQuery(
        text=" ".join(query), date_from=date_from.date() if date_from else None,
        date_to=date_to.date() if date_to else None, sender=sender, arrival_number=arrival_number, year=year,
        limit=limit, offset=offset,
    )
    register = Register.open(get_config(ctx))
    try:
        hits = register.search(request)
        total = register.count_search(request)
    finally:
        register.close()
    if as_json:
        click.echo(json.dumps({"total": total, "hits": [_hit_json(hit) for hit in hits]}, ensure_ascii=False,
                              indent=2))
        return
    if not hits:
        click.echo("no documents found", err=True)
        return
    for hit in hits:
        click.echo(f"{hit.document_id:>6}  số đến {hit.arrival_number}/{hit.year}  {hit.arrival_date:%d/%m/%Y}  "
                   f"{hit.sender}  {hit.subject}")
        if hit.snippet:
            click.echo(f"        {hit.snippet}")
    click.echo(f"{len(hits)} of {total} shown", err=True)


def _hit_json(hit) -> dict:
    return {
        "document_id": hit.document_id, "year": hit.year, "arrival_number": hit.arrival_number,
        "arrival_date": hit.arrival_date.isoformat(), "arrived_at": hit.arrived_at.isoformat(),
        "subject": hit.subject, "sender": hit.sender, "snippet": hit.snippet, "exact": hit.exact,
    }


@main.command()
@click.argument("document_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def show(ctx, document_id: int, as_json: bool) -> None:
    """Show one document: số đến, fields, e-mail, attachments, arrivals, routing and audit trail."""
    from gateway.register.service import Register
    from gateway.showing import document_as_dict, document_as_text

    config = get_config(ctx)
    register = Register.open(config)
    try:
        record = register.get_document(document_id)
        routing = register.views.routing(document_id)
    finally:
        register.close()
    if as_json:
        click.echo(json.dumps(document_as_dict(record, routing), ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(document_as_text(record, config.register.timezone, routing))


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def extract(ctx, file: Path, as_json: bool) -> None:
    """Read the fields (with confidence and source) and the signatures of one document file.

    PDF, DOCX, DOC, TXT, edXML, or a scan as PNG/JPEG/TIFF. Nothing is registered. Scans are OCRed as at
    intake (understand.ocr).
    """
    from gateway.showing import describe_meta, meta_as_dict
    from gateway.understand.single import understand_file

    config = get_config(ctx)
    extracted, meta = understand_file(file.read_bytes(), file.name, config)
    if as_json:
        click.echo(json.dumps(meta_as_dict(extracted, meta), ensure_ascii=False, indent=2))
    else:
        click.echo(describe_meta(extracted, meta))


# --- status, doctor ----------------------------------------------------------------------------------------


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def status(ctx, as_json: bool) -> None:
    """Queue depths, the oldest waiting message, documents registered today and per register/year."""
    from gateway.status import collect_status, render_status

    report = collect_status(get_config(ctx))
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        click.echo(render_status(report))


@main.command()
@click.pass_context
def doctor(ctx) -> None:
    """Check config, database, spool, disk, helper programs and clock; exit 1 when something FAILs."""
    from gateway.doctor import FAIL, run_checks

    try:
        config = get_config(ctx)
    except ConfigError as err:
        click.echo(f"FAIL  config: {err}")
        sys.exit(EXIT_CONFIG)
    checks = run_checks(config)
    for check in checks:
        click.echo(check.line())
    failed = [check.name for check in checks if check.level == FAIL]
    if failed:
        click.echo(f"{len(failed)} check(s) failed: {', '.join(failed)}", err=True)
        sys.exit(EXIT_ERROR)


# --- backup, restore ---------------------------------------------------------------------------------------


@main.command("backup")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
@handle_errors
def backup_cmd(ctx, dest: Path) -> None:
    """Back up the register, the blobs and the spool into DEST (a new folder) with a sha256 manifest."""
    from gateway.backup import backup

    manifest = backup(get_config(ctx), dest)
    click.echo(f"backup written to {dest}: {manifest.database} register, {len(manifest.files)} files")


@main.command("restore")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.pass_context
@handle_errors
def restore_cmd(ctx, source: Path) -> None:
    """Restore a backup into an empty data folder (and empty database) after checking every checksum."""
    from gateway.backup import restore

    config = get_config(ctx)
    manifest = restore(config, source)
    click.echo(f"restored {len(manifest.files)} files from {source} (made {manifest.created_at}) "
               f"into {config.data_dir}")

# --- imap --------------------------------------------------------------------------------------------------


@main.group()
def imap() -> None:
    """IMAP accounts the gateway polls."""


@imap.command("test")
@click.argument("account")
@click.pass_context
@handle_errors
def imap_test(ctx, account: str) -> None:
    """Log in to ACCOUNT and show its capabilities, folders and the watched folders' UIDVALIDITY and counts."""
    from gateway.intake.imap_session import describe, probe

    config = get_config(ctx)
    accounts = {a.name: a for a in config.imap.accounts}
    if account not in accounts:
        raise NotFound(f"no IMAP account {account!r} in {config.source}; accounts: {', '.join(accounts) or 'none'}")
    found = probe(accounts[account])
    click.echo(f"account {describe(accounts[account])}: login ok")
    click.echo(f"capabilities: {' '.join(found.capabilities)}")
    click.echo(f"folders: {', '.join(found.folders)}")
    for folder in found.watched:
        click.echo(f"watched {folder.name}: UIDVALIDITY {folder.uidvalidity}, {folder.messages} message(s), "
                   f"{folder.unseen} unseen")


@imap.command("status")
@click.pass_context
@handle_errors
def imap_status(ctx) -> None:
    """Each account's last successful sync, last error, and messages waiting for their after-action."""
    from gateway.intake.imap_status import load_status
    from gateway.register.service import Register

    config = get_config(ctx)
    if not config.imap.accounts:
        click.echo(f"no IMAP accounts in {config.source}")
        return
    register = Register.open(config)
    ledger = register.imap_ledger
    try:
        for account in config.imap.accounts:
            status = load_status(config.data_dir / "imap" / f"{account.name}.json")
            counts = ledger.counts(account.name)
            click.echo(f"{account.name}: last success {status.last_success if status and status.last_success else 'never'}"
                       f"; {counts.get('spooled', 0)} waiting for {account.after_action}, {counts.get('done', 0)} done")
            if status and status.last_error:
                click.echo(f"  last error at {status.last_error_at}: {status.last_error}")
    finally:
        register.close()


# --- web, user ---------------------------------------------------------------------------------------------


@main.command("web")
@click.option("--web-listen", "listen", help="HOST:PORT to serve on (default: web.listen, else 127.0.0.1:8080).")
@click.pass_context
@handle_errors
def web_cmd(ctx: click.Context, listen: str | None) -> None:
    """Serve only the web UI and JSON API (the register must already be upgraded), until Ctrl-C or SIGTERM."""
    import dataclasses

    from gateway.core.config import parse_host_port
    from gateway.web.server import serve_foreground

    config = get_config(ctx)
    listen = listen or config.web.listen or "127.0.0.1:8080"
    try:
        parse_host_port(listen)
    except ConfigError as err:
        raise ConfigError(f"--web-listen: {err}") from None
    serve_foreground(dataclasses.replace(config, web=dataclasses.replace(config.web, listen=listen)))


@main.group()
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


# --- db ----------------------------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """The register database."""


@db.command("upgrade")
@click.pass_context
@handle_errors
def db_upgrade(ctx) -> None:
    """Create or migrate the register schema to the newest version."""
    from gateway.register.service import Register

    config = get_config(ctx)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    register = Register(config)
    try:
        register.upgrade()
    finally:
        register.close()
    click.echo(f"register schema is up to date ({_masked(config.database_url)})")


def _masked(url: str) -> str:
    from gateway.core.config import mask_secret_url

    return mask_secret_url(url)


# --- spool -------------------------------------------------------------------------------------------------


@main.group()
def spool() -> None:
    """The spool: messages waiting (incoming), being processed (claimed), failed (bad) or held (quarantine)."""


def _spool(ctx):
    from gateway.spool import Spool

    config = get_config(ctx)
    return Spool(config.spool_dir, config.workers.max_attempts)


@spool.command("list")
@click.argument("queue", default="bad", type=click.Choice(["incoming", "claimed", "bad", "quarantine"]))
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handle_errors
def spool_list(ctx, queue: str, as_json: bool) -> None:
    """List the messages in QUEUE (default: bad)."""
    entries = _spool(ctx).list(queue)
    if as_json:
        click.echo(json.dumps([_entry_json(e) for e in entries], ensure_ascii=False, indent=2))
        return
    for entry in entries:
        click.echo(f"{entry.spool_id}  attempts={entry.attempts}  {entry.size:>9} B  {entry.mail_from or '-'}  "
                   f"{entry.subject}")
        if entry.reason:
            click.echo(f"    reason: {entry.reason}")
    click.echo(f"{len(entries)} message(s) in {queue}/", err=True)


def _entry_json(entry) -> dict:
    return {
        "spool_id": entry.spool_id, "queue": entry.queue, "attempts": entry.attempts, "size": entry.size,
        "received_at": entry.received_at.isoformat() if entry.received_at else None, "mail_from": entry.mail_from,
        "rcpt_tos": list(entry.rcpt_tos), "subject": entry.subject, "reason": entry.reason,
    }


def _echo_spooled(info, envelope, where: str) -> None:
    """The envelope lines of `spool show` and `quarantine show`; sender-controlled values are printed quoted
    (repr) so control characters cannot drive the operator's terminal."""
    click.echo(f"spool id:   {info.spool_id} ({where})")
    click.echo(f"received:   {envelope.received_at.isoformat()} via {envelope.source} {envelope.peer}")
    click.echo(f"mail from:  {envelope.mail_from!r}")
    click.echo(f"rcpt to:    {', '.join(envelope.rcpt_tos)!r}")
    click.echo(f"subject:    {info.subject!r}")
    click.echo(f"size:       {info.size} bytes")


@spool.command("show")
@click.argument("spool_id")
@click.option("--raw", is_flag=True, help="Print the raw message bytes.")
@click.pass_context
@handle_errors
def spool_show(ctx, spool_id: str, raw: bool) -> None:
    """Show one spooled message: envelope, reason and (with --raw) its bytes."""
    info, envelope, raw_bytes, reason = _spool(ctx).show(spool_id)
    if raw:
        sys.stdout.buffer.write(raw_bytes)
        return
    _echo_spooled(info, envelope, f"{info.queue}/, attempts {info.attempts}")
    if reason:
        click.echo("reason:")
        click.echo(reason)


@spool.command("requeue")
@click.argument("spool_ids", nargs=-1)
@click.option("--all", "requeue_all", is_flag=True, help="Requeue every message in bad/.")
@click.pass_context
@handle_errors
def spool_requeue(ctx, spool_ids, requeue_all: bool) -> None:
    """Move messages from bad/ back to incoming/ for another try."""
    store = _spool(ctx)
    ids = [e.spool_id for e in store.list("bad")] if requeue_all else list(spool_ids)
    if not ids:
        raise click.UsageError("give spool ids or --all")
    for spool_id in ids:
        store.requeue(spool_id)
        click.echo(f"requeued {spool_id}")


@spool.command("purge")
@click.argument("spool_ids", nargs=-1)
@click.option("--all", "purge_all", is_flag=True, help="Delete every message in bad/.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
@handle_errors
def spool_purge(ctx, spool_ids, purge_all: bool, yes: bool) -> None:
    """Delete messages from bad/ for good (never from incoming/ or claimed/)."""
    store = _spool(ctx)
    if not spool_ids and not purge_all:
        raise click.UsageError("give spool ids or --all")
    if not yes:
        click.confirm(f"delete {'all messages' if purge_all else len(spool_ids)} from bad/?", abort=True)
    removed = store.purge(None) if purge_all else sum(store.purge(spool_id) for spool_id in spool_ids)
    click.echo(f"deleted {removed} message(s) from bad/")


# --- quarantine and audit ----------------------------------------------------------------------------------


def _operator() -> str:
    import getpass
    import os

    return os.environ.get("SUDO_USER") or getpass.getuser()


@main.group()
def quarantine() -> None:
    """Messages that parsed but are not trusted or not allowed (forged sender, limit hit), each with its reason."""


@quarantine.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handle_errors
def quarantine_list(ctx, as_json: bool) -> None:
    """List the quarantined messages with their reasons, oldest first."""
    entries = _spool(ctx).list("quarantine")
    if as_json:
        click.echo(json.dumps([_entry_json(e) for e in entries], ensure_ascii=False, indent=2))
        return
    for entry in entries:
        click.echo(f"{entry.spool_id}  {entry.size:>9} B  {entry.mail_from or '-'}  {entry.subject!r}")
        click.echo(f"    reason: {entry.reason!r}"[:300])
    click.echo(f"{len(entries)} message(s) in quarantine/", err=True)


@quarantine.command("show")
@click.argument("spool_id")
@click.option("--raw", is_flag=True, help="Print the raw message bytes.")
@click.pass_context
@handle_errors
def quarantine_show(ctx, spool_id: str, raw: bool) -> None:
    """Show one quarantined message: envelope, subject and the full reason with its details."""
    from gateway.spool import quarantine as held

    info, envelope, raw_bytes, record = held.show(_spool(ctx), spool_id)
    if raw:
        sys.stdout.buffer.write(raw_bytes)
        return
    _echo_spooled(info, envelope, "quarantine/")
    click.echo(f"reason:     {record.get('reason', '')!r}")
    click.echo(f"since:      {record.get('quarantined_at', '')}")
    for key, value in sorted((record.get("detail") or {}).items()):
        click.echo(f"  {key}: {value!r}"[:500])


@quarantine.command("release")
@click.argument("spool_ids", nargs=-1, required=True)
@click.pass_context
@handle_errors
def quarantine_release(ctx, spool_ids) -> None:
    """Send messages back to incoming/: they are registered as if they had just arrived, trust check skipped."""
    from gateway import quarantine_ops
    from gateway.register.service import Register

    store = _spool(ctx)
    register = Register.open(get_config(ctx))
    try:
        for spool_id in spool_ids:
            quarantine_ops.release(store, register, spool_id, _operator())
            click.echo(f"released {spool_id}")
    finally:
        register.close()


@quarantine.command("delete")
@click.argument("spool_ids", nargs=-1, required=True)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
@handle_errors
def quarantine_delete(ctx, spool_ids, yes: bool) -> None:
    """Delete quarantined messages for good; an audit event keeps sender, subject and reason of each."""
    from gateway import quarantine_ops
    from gateway.register.service import Register

    if not yes:
        click.confirm(f"delete {len(spool_ids)} message(s) from quarantine/?", abort=True)
    store = _spool(ctx)
    register = Register.open(get_config(ctx))
    try:
        for spool_id in spool_ids:
            quarantine_ops.delete(store, register, spool_id, _operator())
            click.echo(f"deleted {spool_id}")
    finally:
        register.close()


@main.group()
def audit() -> None:
    """The tamper-evident audit trail."""


@audit.command("verify")
@click.option("--no-blobs", is_flag=True, help="Check the hash chain only, not the stored files' checksums.")
@click.pass_context
@handle_errors
def audit_verify(ctx, no_blobs: bool) -> None:
    """Recompute the audit hash chain and every blob's sha256; print the first break and exit 1 if there is one."""
    from gateway.register.service import Register

    register = Register.open(get_config(ctx))
    try:
        report = register.verify_audit(blobs=not no_blobs)
    finally:
        register.close()
    if not report.ok:
        _fail(f"audit verify: {report.first_break} (checked {report.events} event(s), {report.blobs} blob(s))",
              EXIT_ERROR)
    click.echo(f"audit verify: OK, {report.events} event(s) chained, {report.blobs} blob(s) intact")


# --- config ------------------------------------------------------------------------------------------------


@main.group("config")
def config_group() -> None:
    """The configuration file."""


@config_group.command("check")
@click.pass_context
@handle_errors
def config_check(ctx) -> None:
    """Read and validate the configuration; exit 3 with the file and key when it is wrong."""
    config = get_config(ctx)
    click.echo(f"{config.source}: OK")


@config_group.command("show")
@click.pass_context
@handle_errors
def config_show(ctx) -> None:
    """Print the effective configuration with secrets masked."""
    click.echo(render_toml(get_config(ctx)), nl=False)



# --- rules, outbox (gateway/cli_routing.py) ----------------------------------------------------------------

from gateway.cli_routing import outbox as _outbox_group  # noqa: E402 - after main exists
from gateway.cli_routing import rules as _rules_group  # noqa: E402

main.add_command(_rules_group)
main.add_command(_outbox_group)
