"""The register from the terminal: search, show a document, read a file's fields, verify the audit chain, upgrade the schema."""

from __future__ import annotations

import json
from pathlib import Path

import click

from gateway.cli.base import EXIT_ERROR, fail, get_config, handle_errors, operator
from gateway.core.errors import GatewayError


@click.command()
@click.argument("query", nargs=-1, metavar="[TỪ_KHOÁ]...")
@click.option("--since", "date_from", type=click.DateTime(["%Y-%m-%d", "%d/%m/%Y"]), help="Đến từ ngày này.")
@click.option("--until", "date_to", type=click.DateTime(["%Y-%m-%d", "%d/%m/%Y"]), help="Đến đến hết ngày này.")
@click.option("--sender", default="", metavar="ĐỊA_CHỈ", help="Địa chỉ người gửi, hoặc một phần (tên miền).")
@click.option("--number", "arrival_number", type=int, help="Số đến.")
@click.option("--year", type=int, help="Năm của số đến.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10000), help="Số kết quả nhiều nhất.")
@click.option("--offset", default=0, type=click.IntRange(0), help="Bỏ qua ngần ấy kết quả đầu.")
@click.option("--json", "as_json", is_flag=True, help="In JSON.")
@click.pass_context
@handle_errors
def search(ctx, query, date_from, date_to, sender, arrival_number, year, limit, offset, as_json) -> None:
    """Tìm văn bản: phải khớp mọi từ (viết OR giữa các từ thay thế nhau); gõ dấu hay không đều được."""
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
@click.argument("document_id", type=int, metavar="MÃ_VĂN_BẢN")
@click.option("--json", "as_json", is_flag=True, help="In JSON.")
@click.pass_context
@handle_errors
def show(ctx, document_id: int, as_json: bool) -> None:
    """Xem một văn bản: số đến, các trường, thư điện tử, tệp đính kèm, các lần đến, phân phối và nhật ký."""
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
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="TỆP")
@click.option("--json", "as_json", is_flag=True, help="In JSON.")
@click.pass_context
@handle_errors
def extract(ctx, file: Path, as_json: bool) -> None:
    """Đọc các trường (kèm độ tin cậy và nguồn) và chữ ký số của một tệp văn bản.

    PDF, DOCX, DOC, TXT, edXML, hoặc bản quét PNG/JPEG/TIFF. Không vào sổ gì. Bản quét được nhận dạng (OCR)
    như khi tiếp nhận (understand.ocr).
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
    """Nhật ký kiểm tra được (phát hiện sửa đổi)."""


@audit.command("verify")
@click.option("--no-blobs", is_flag=True, help="Chỉ kiểm tra chuỗi băm, không kiểm tra tổng kiểm của các tệp lưu.")
@click.pass_context
@handle_errors
def audit_verify(ctx, no_blobs: bool) -> None:
    """Tính lại chuỗi băm của nhật ký và sha256 của mọi tệp lưu; in chỗ hỏng đầu tiên và thoát với mã 1 nếu có."""
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
    """Cơ sở dữ liệu của sổ đăng ký."""


@db.command("upgrade")
@click.pass_context
@handle_errors
def db_upgrade(ctx) -> None:
    """Tạo hoặc nâng cấu trúc cơ sở dữ liệu của sổ lên phiên bản mới nhất."""
    from gateway.register.service import Register

    config = get_config(ctx)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    register = Register(config)
    try:
        register.upgrade()
    finally:
        register.close()
    click.echo(f"Cấu trúc sổ đăng ký đã ở phiên bản mới nhất ({_masked(config.database_url)})")


@db.command("move-blobs")
@click.option("--to", "to", type=click.Choice(["database", "filesystem"]), required=True,
              help="Nơi chuyển tất cả thư và tệp đến: database (cơ sở dữ liệu) hoặc filesystem (trên đĩa).")
@click.option("--keep", is_flag=True, help="Giữ nguyên nơi cũ (chỉ chép sang).")
@click.pass_context
@handle_errors
def db_move_blobs(ctx, to: str, keep: bool) -> None:
    """Chuyển nội dung mọi thư và tệp giữa đĩa của máy (thư mục dữ liệu) và cơ sở dữ liệu của sổ. Dừng gateway trên mọi máy
    trước; đặt `database.blobs` theo nơi mới rồi mới chạy lại."""
    from gateway.register.service import Register

    register = Register.open(get_config(ctx))
    try:
        moved = register.move_blobs(to, remove=not keep)
    finally:
        register.close()
    where = "cơ sở dữ liệu" if to == "database" else "đĩa (thư mục dữ liệu)"
    click.echo(f"Đã chuyển tệp lưu vào {where}: {moved.found} tệp, {moved.copied} tệp mới chép, "
               f"{moved.removed} tệp đã xoá khỏi nơi cũ")
    if get_config(ctx).database.blobs != to:
        click.echo(f'Nhớ đặt database.blobs = "{to}" trong cấu hình của mọi máy trước khi chạy lại gateway.')


def _masked(url: str) -> str:
    from gateway.core.config import mask_secret_url

    return mask_secret_url(url)


@click.command("register-paper")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="[TỆP]...")
@click.option("--set", "changes", multiple=True, metavar="TRƯỜNG=GIÁ_TRỊ",
              help="Một trường như ghi trên giấy, thay cho đề xuất của bộ đọc (lặp lại được); ngày viết "
                   "YYYY-MM-DD, độ khẩn và độ mật từ 0 đến 3.")
@click.option("--propose", is_flag=True, help="Chỉ in những gì bộ đọc đề xuất; không vào sổ.")
@click.option("--json", "as_json", is_flag=True, help="In JSON.")
@click.pass_context
@handle_errors
def register_paper(ctx, files: tuple[Path, ...], changes: tuple[str, ...], propose: bool, as_json: bool) -> None:
    """Vào sổ một văn bản đến bằng giấy: TỆP là các bản quét (PDF, PNG, JPEG, TIFF; hoặc không có). Bộ đọc đề
    xuất các trường, --set sửa chúng, và văn bản lấy số đến tiếp theo của sổ theo thứ tự tiếp nhận (lúc này),
    là văn bản đến bằng giấy."""
    from gateway.cli.showing import read_value
    from gateway.intake import paper
    from gateway.register.service import Register
    from gateway.routing.router import open_router
    from gateway.runtime.importer import Importer
    from gateway.spool import Spool
    from gateway.web import labels

    config = get_config(ctx)
    scans = tuple((path.name, path.read_bytes()) for path in files)
    paper.check_scans(scans)
    proposed = paper.propose(scans, config)
    if propose:
        shown = {name: {"value": v.value, "confidence": v.confidence, "source": v.source}
                 for name, v in proposed.fields.items() if name in paper.PAPER_FIELDS}
        click.echo(json.dumps(shown, ensure_ascii=False, indent=2) if as_json else
                   "\n".join(f"{labels.field(name)}: {read_value(name, proposed.fields[name])}   (--set {name}=…)"
                             for name in shown))
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
@click.argument("document_id", type=int, metavar="MÃ_VĂN_BẢN")
@click.option("--lead", required=True, metavar="ĐƠN_VỊ", help="Đơn vị chủ trì duy nhất (mã trong tệp luật).")
@click.option("--cooperate", multiple=True, metavar="ĐƠN_VỊ", help="Một đơn vị phối hợp (lặp lại được).")
@click.option("--inform", multiple=True, metavar="ĐƠN_VỊ", help="Một đơn vị để biết (lặp lại được).")
@click.option("--due", type=click.DateTime(["%Y-%m-%d", "%d/%m/%Y"]), help="Thời hạn giải quyết.")
@click.option("--opinion", default="", metavar="Ý_KIẾN", help="Ý kiến chỉ đạo.")
@click.option("--by", "directed_by", required=True, metavar="TÊN", help="Lãnh đạo cho ý kiến chỉ đạo này.")
@click.pass_context
@handle_errors
def direct(ctx, document_id, lead, cooperate, inform, due, opinion, directed_by) -> None:
    """Ghi ý kiến chỉ đạo của lãnh đạo về một văn bản (NĐ30 Điều 24): giao các đơn vị như ý kiến đó, đơn vị nào
    chưa nhận thì được chuyển văn bản; ý kiến được lưu cùng văn bản và trong nhật ký."""
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
@click.argument("document_id", type=int, metavar="MÃ_VĂN_BẢN")
@click.option("--reason", required=True, metavar="LÝ_DO", help="Lý do trả lại (bằng tiếng Việt, gửi cho nơi gửi).")
@click.pass_context
@handle_errors
def return_cmd(ctx, document_id: int, reason: str) -> None:
    """Trả lại văn bản đã vào sổ cho nơi gửi kèm lý do (NĐ30 Điều 21: không qua được kiểm tra tính xác thực hoặc
    toàn vẹn, hoặc không gửi đúng cơ quan). Văn bản giữ số đến, ghi "đã trả lại nơi gửi"."""
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
@click.argument("document_id", type=int, metavar="MÃ_VĂN_BẢN")
@click.option("--reason", required=True, metavar="LÝ_DO", help="Lý do thu hồi nơi gửi nêu.")
@click.option("--refuse", is_flag=True, help="Từ chối thu hồi (trạng thái edXML 16): không xoá gì.")
@click.option("--requested-by", default="", metavar="AI",
              help="Ai yêu cầu thu hồi (mặc định: người gửi văn bản).")
@click.option("--source", type=click.Choice(["email", "paper", "phone", "edxml"]), default="email",
              help="Thông báo thu hồi đến bằng đường nào (thư điện tử, giấy, điện thoại, edXML).")
@click.option("--yes", is_flag=True, help="Không hỏi xác nhận.")
@click.pass_context
@handle_errors
def recall_cmd(ctx, document_id: int, reason: str, refuse: bool, requested_by: str, source: str, yes: bool) -> None:
    """Ghi việc nơi gửi thu hồi một văn bản (NĐ30 Điều 18.4.b). Đồng ý thì tệp, các trường và chữ để tìm kiếm bị
    xoá hẳn, số đến vẫn giữ, ghi "đã thu hồi"; từ chối thì không xoá gì. Dù thế nào việc thu hồi cũng được lưu
    (ai, lúc nào, vì sao) và nơi gửi đã xác thực nhận được trả lời. Thông báo thu hồi đến bằng edXML nằm chờ
    trong cách ly: trả lời bằng `gateway quarantine recall`."""
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
@click.argument("document_id", type=int, metavar="MÃ_VĂN_BẢN")
@click.option("--updates", "updates", type=int, metavar="MÃ_CŨ", help="MÃ_VĂN_BẢN cập nhật văn bản MÃ_CŨ.")
@click.option("--replaces", "replaces", type=int, metavar="MÃ_CŨ", help="MÃ_VĂN_BẢN thay thế văn bản MÃ_CŨ.")
@click.pass_context
@handle_errors
def link_cmd(ctx, document_id: int, updates: int | None, replaces: int | None) -> None:
    """Ghi rằng một văn bản cập nhật hoặc thay thế văn bản trước đó (edXML tự ghi; thư điện tử cần văn thư ghi).
    Cả hai giữ số đến; trang của mỗi văn bản hiện văn bản kia."""
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



@click.command("phieu")
@click.argument("document_id", type=int, metavar="MÃ_VĂN_BẢN")
@click.option("--format", "fmt", type=click.Choice(["docx", "pdf"]), default="pdf", show_default=True,
              help="Định dạng tệp.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              metavar="TỆP", help="Tệp sẽ ghi ra.")
@click.pass_context
@handle_errors
def phieu_cmd(ctx, document_id: int, fmt: str, output: Path) -> None:
    """In Phiếu giải quyết văn bản đến (NĐ 30, Phụ lục IV) của một văn bản, kèm ý kiến chỉ đạo đang có hiệu lực,
    ra tệp DOCX hoặc PDF."""
    from gateway.register.service import Register
    from gateway.web.procedure import render_phieu

    config = get_config(ctx)
    register = Register.open(config)
    try:
        data = render_phieu(register, config, document_id, fmt)
        register.record_event("phieu-printed", operator(), {"format": fmt, "file": str(output)},
                              document_id=document_id)
    finally:
        register.close()
    output.write_bytes(data)
    click.echo(f"đã ghi phiếu giải quyết văn bản {document_id} vào {output}")
