"""The register from the terminal: search, show a document, read a file's fields, verify the audit chain, upgrade the schema."""

from __future__ import annotations

import json
from pathlib import Path

import click

from gateway.cli.base import EXIT_ERROR, fail, get_config, handle_errors, operator
from gateway.core.errors import GatewayError


@click.command()
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
        found = register.search_page(request)  # as the web: counted up to a cap, so a common word stays fast
    finally:
        register.close()
    hits, total = found.hits, found.total
    if as_json:
        click.echo(json.dumps({"total": total, "capped": found.capped, "hits": [_hit_json(hit) for hit in hits]},
                              ensure_ascii=False, indent=2))
        return
    if not hits:
        click.echo("Không tìm thấy văn bản nào", err=True)
        return
    for hit in hits:
        click.echo(f"{hit.document_id:>6}  số đến {hit.arrival_number or '(chờ số)'}/{hit.year}  {hit.arrival_date:%d/%m/%Y}  "
                   f"{hit.sender}  {hit.subject}")
        if hit.snippet:
            click.echo(f"        {hit.snippet}")
    click.echo(f"Hiện {len(hits)} trong {'hơn ' if found.capped else ''}{total} văn bản", err=True)


def _hit_json(hit) -> dict:
    return {
        "document_id": hit.document_id, "year": hit.year, "arrival_number": hit.arrival_number,
        "arrival_date": hit.arrival_date.isoformat(), "arrived_at": hit.arrived_at.isoformat(),
        "subject": hit.subject, "sender": hit.sender, "snippet": hit.snippet, "exact": hit.exact,
    }


@click.command()
@click.argument("document_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def show(ctx, document_id: int, as_json: bool) -> None:
    """Show one document: số đến, fields, e-mail, attachments, arrivals, routing and audit trail."""
    from gateway.cli.showing import document_as_dict, document_as_text
    from gateway.register.service import Register

    config = get_config(ctx)
    register = Register.open(config)
    try:
        record = register.get_document(document_id)
        routing = register.views.routing(document_id)
        directions = register.views.directions(document_id)
        recalls, links = register.recalls.recalls_of(document_id), register.recalls.links_of(document_id)
    finally:
        register.close()
    if as_json:
        click.echo(json.dumps(document_as_dict(record, routing, directions, recalls, links), ensure_ascii=False,
                              indent=2, default=str))
    else:
        click.echo(document_as_text(record, config.register.timezone, routing, directions, recalls, links))


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def extract(ctx, file: Path, as_json: bool) -> None:
    """Read the fields (with confidence and source) and the signatures of one document file.

    PDF, DOCX, DOC, TXT, edXML, or a scan as PNG/JPEG/TIFF. Nothing is registered. Scans are OCRed as at
    intake (understand.ocr).
    """
    from gateway.cli.showing import describe_meta, meta_as_dict
    from gateway.understand.single import understand_file

    config = get_config(ctx)
    extracted, meta = understand_file(file.read_bytes(), file.name, config)
    if as_json:
        click.echo(json.dumps(meta_as_dict(extracted, meta), ensure_ascii=False, indent=2))
    else:
        click.echo(describe_meta(extracted, meta))


@click.group()
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
        fail(f"kiểm tra nhật ký: {report.first_break} (đã kiểm {report.events} sự kiện, {report.blobs} tệp lưu)",
             EXIT_ERROR)
    click.echo(f"Kiểm tra nhật ký: tốt, {report.events} sự kiện nối chuỗi đúng, {report.blobs} tệp lưu nguyên vẹn")


@click.group()
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
    click.echo(f"Cấu trúc sổ đăng ký đã ở phiên bản mới nhất ({_masked(config.database_url)})")


def _masked(url: str) -> str:
    from gateway.core.config import mask_secret_url

    return mask_secret_url(url)


@click.command("register-paper")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--set", "changes", multiple=True, metavar="FIELD=VALUE",
              help="A field as it is on the paper, over what the reader proposes (repeatable); "
                   "dates as YYYY-MM-DD, urgency and secrecy 0-3.")
@click.option("--propose", is_flag=True, help="Only print what the reader proposes; register nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def register_paper(ctx, files: tuple[Path, ...], changes: tuple[str, ...], propose: bool, as_json: bool) -> None:
    """Register a document that came on paper: FILES are its scans (PDF, PNG, JPEG, TIFF; or none). The reader
    proposes the fields, --set corrects them, and the document takes the next số đến of the register, in order
    of receipt (now), as a paper arrival."""
    from gateway.intake import paper
    from gateway.register.service import Register
    from gateway.routing.router import open_router
    from gateway.runtime.importer import Importer
    from gateway.spool import Spool

    config = get_config(ctx)
    scans = tuple((path.name, path.read_bytes()) for path in files)
    paper.check_scans(scans)
    proposed = paper.propose(scans, config)
    if propose:
        shown = {name: {"value": v.value, "confidence": v.confidence, "source": v.source}
                 for name, v in proposed.fields.items() if name in paper.PAPER_FIELDS}
        click.echo(json.dumps(shown, ensure_ascii=False, indent=2) if as_json else
                   "\n".join(f"{name}: {v['value']}  [{v['source']}, {v['confidence']:.2f}]"
                             for name, v in shown.items()))
        return
    fields = paper.confirmed_fields(proposed, dict(_field_assignment(text) for text in changes))
    spool = Spool.from_config(config)
    spool.ensure()
    register = Register(config)
    try:
        register.upgrade()
        importer = Importer(config, spool, register, open_router(config, register))
        outcome = importer.process(paper.take(spool, paper.PaperDocument(scans, fields), operator(), config))
    finally:
        register.close()
    reg = outcome.registration
    if reg is None:
        raise GatewayError(f"văn bản giấy chưa vào sổ: {outcome.error or outcome.quarantined}")
    if as_json:
        click.echo(json.dumps({"document_id": reg.document_id, "register": reg.register_code, "year": reg.year,
                               "arrival_number": reg.arrival_number, "fields": fields}, ensure_ascii=False, indent=2))
    elif reg.arrival_number is None:
        click.echo(f"đã vào sổ (văn bản {reg.document_id}); số đến chờ các thư đến trước")
    else:
        click.echo(f"đã vào sổ: số đến {reg.arrival_number}/{reg.year} (văn bản {reg.document_id})")


def _field_assignment(text: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not equals or not name.strip():
        raise click.BadParameter(f"{text!r}: write FIELD=VALUE", param_hint="--set")
    return name.strip(), value


@click.command("direct")
@click.argument("document_id", type=int)
@click.option("--lead", required=True, metavar="UNIT", help="The one chủ trì unit (its code in the rule files).")
@click.option("--cooperate", multiple=True, metavar="UNIT", help="A phối hợp unit (repeatable).")
@click.option("--inform", multiple=True, metavar="UNIT", help="A để biết unit (repeatable).")
@click.option("--due", type=click.DateTime(["%Y-%m-%d", "%d/%m/%Y"]), help="Thời hạn giải quyết.")
@click.option("--opinion", default="", help="Ý kiến chỉ đạo.")
@click.option("--by", "directed_by", required=True, help="The lãnh đạo whose direction this is.")
@click.pass_context
@handle_errors
def direct(ctx, document_id, lead, cooperate, inform, due, opinion, directed_by) -> None:
    """Record a leader's direction on a document (ND30 Điều 24): the units are assigned as it says and those
    that had no forward yet are sent one; the direction is kept with the document and in the audit trail."""
    from gateway.register.changes import DirectionInput
    from gateway.register.service import Register

    register = Register.open(get_config(ctx))
    try:
        register.changes.direct(document_id, DirectionInput(
            directed_by=directed_by, opinion=opinion, lead=lead, cooperate=tuple(cooperate), inform=tuple(inform),
            due_date=due.date() if due else None), recorded_by=operator())
    finally:
        register.close()
    click.echo(f"đã ghi ý kiến chỉ đạo cho văn bản {document_id}: chủ trì {lead}")


@click.command("return")
@click.argument("document_id", type=int)
@click.option("--reason", required=True, help="Why it goes back (Vietnamese, for the sender).")
@click.pass_context
@handle_errors
def return_cmd(ctx, document_id: int, reason: str) -> None:
    """Send a registered document back to its sender with the reason (ND30 Điều 21: it failed the check of
    authenticity or integrity, or was not for this agency). It keeps its số đến, marked returned."""
    from gateway.ops.returns import return_registered
    from gateway.register.service import Register

    config = get_config(ctx)
    register = Register.open(config)
    try:
        done = return_registered(register, config, document_id, reason, operator())
    finally:
        register.close()
    click.echo(f"đã trả lại văn bản {document_id} cho {done.recipient}"
               f"{' (kèm gói tin trạng thái 02)' if done.edxml else ''}")


@click.command("recall")
@click.argument("document_id", type=int)
@click.option("--reason", required=True, help="The reason the sender gave for the recall.")
@click.option("--refuse", is_flag=True, help="Refuse the recall (edXML status 16): nothing is removed.")
@click.option("--requested-by", default="", help="Who asked for it (default: the document's sender).")
@click.option("--source", type=click.Choice(["email", "paper", "phone", "edxml"]), default="email",
              help="How the recall notice came.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
@handle_errors
def recall_cmd(ctx, document_id: int, reason: str, refuse: bool, requested_by: str, source: str, yes: bool) -> None:
    """Record the sender's recall of a document (thu hồi, ND30 Điều 18.4.b). Agreed, its files, fields and search
    text are removed for good and its số đến stays, marked "đã thu hồi"; refused, nothing is removed. Either way
    the recall is kept (who, when, why) and an authenticated sender gets the answer. A recall notice that came as
    edXML waits in quarantine: answer it with `gateway quarantine recall`."""
    from gateway.ops.recalls import recall_document
    from gateway.register.service import Register

    config = get_config(ctx)
    if not refuse and not yes:
        click.confirm(f"Xoá vĩnh viễn tệp và dữ liệu của văn bản mã {document_id} (giữ số đến, ghi \"đã thu hồi\")?",
                      abort=True)
    register = Register.open(config)
    try:
        done = recall_document(register, config, document_id, reason, operator(), refuse=refuse,
                               requested_by=requested_by, source=source)
    finally:
        register.close()
    echo_recalled(done)


def echo_recalled(done) -> None:
    what = "đã thu hồi" if done.accepted else "đã từ chối thu hồi"
    click.echo(f"văn bản mã {done.document_id}: {what}")
    if done.answered_to:
        status = "15" if done.accepted else "16"
        click.echo(f"trả lời gửi tới {done.answered_to}{f' (kèm gói tin trạng thái {status})' if done.edxml else ''}")
    else:
        click.echo(f"không gửi trả lời: {done.not_answered}")


@click.command("link")
@click.argument("document_id", type=int)
@click.option("--updates", "updates", type=int, metavar="OLD", help="DOCUMENT_ID updates (cập nhật) document OLD.")
@click.option("--replaces", "replaces", type=int, metavar="OLD", help="DOCUMENT_ID replaces (thay thế) document OLD.")
@click.pass_context
@handle_errors
def link_cmd(ctx, document_id: int, updates: int | None, replaces: int | None) -> None:
    """Record that a document updates or replaces an earlier one (edXML does it by itself; e-mail needs the văn
    thư). Both keep their số đến; each document's page shows the other."""
    from gateway.register.service import Register

    if (updates is None) == (replaces is None):
        raise click.UsageError("ghi đúng một trong --updates OLD, --replaces OLD")
    config = get_config(ctx)
    register = Register.open(config)
    try:
        kind, target = ("update", updates) if updates is not None else ("replace", replaces)
        register.recalls.link(document_id, target, kind, operator())
    finally:
        register.close()
    click.echo(f"văn bản mã {document_id} {'cập nhật' if kind == 'update' else 'thay thế'} văn bản mã {target}")

