"""The register from the terminal: search, show a document, read a file's fields, verify the audit chain, upgrade the schema."""

from __future__ import annotations

import json
from pathlib import Path

import click

from gateway.cli.base import EXIT_ERROR, fail, get_config, handle_errors


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
        hits = register.search(request)
        total = register.count_search(request)
    finally:
        register.close()
    if as_json:
        click.echo(json.dumps({"total": total, "hits": [_hit_json(hit) for hit in hits]}, ensure_ascii=False,
                              indent=2))
        return
    if not hits:
        click.echo("Không tìm thấy văn bản nào", err=True)
        return
    for hit in hits:
        click.echo(f"{hit.document_id:>6}  số đến {hit.arrival_number}/{hit.year}  {hit.arrival_date:%d/%m/%Y}  "
                   f"{hit.sender}  {hit.subject}")
        if hit.snippet:
            click.echo(f"        {hit.snippet}")
    click.echo(f"Hiện {len(hits)} trong {total} văn bản", err=True)


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
    finally:
        register.close()
    if as_json:
        click.echo(json.dumps(document_as_dict(record, routing), ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(document_as_text(record, config.register.timezone, routing))


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
