"""The spool and the quarantine: list, show, requeue, purge, release, delete."""

from __future__ import annotations

import json
import sys

import click

from gateway.cli.base import get_config, handle_errors, operator
from gateway.spool import QUEUES
from gateway.web.labels import iso_date
from gateway.web.reasons import detail_key, detail_value, translate


@click.group()
def spool() -> None:
    """Hàng đợi thư: thư đang chờ (incoming/), đang xử lý (claimed/), hoãn lại (deferred/), lỗi (bad/), cách ly
    (quarantine/), hoặc do máy gửi và được giữ mà không lấy số đến (auto/: báo cáo phát thư, thư trả lời tự động —
    "thư tự động")."""


def _spool(ctx):
    from gateway.spool import Spool

    config = get_config(ctx)
    return Spool.from_config(config)


@spool.command("list")
@click.argument("queue", default="bad", type=click.Choice(list(QUEUES)), metavar="[HÀNG_ĐỢI]")
@click.option("--json", "as_json", is_flag=True, help="In JSON.")
@click.pass_context
@handle_errors
def spool_list(ctx, queue: str, as_json: bool) -> None:
    """Liệt kê thư trong HÀNG_ĐỢI, tên một thư mục của hàng đợi: incoming/, claimed/, deferred/, bad/, quarantine/
    hoặc auto/ (mặc định: bad/)."""
    entries = _spool(ctx).list(queue)
    if as_json:
        click.echo(json.dumps([_entry_json(e) for e in entries], ensure_ascii=False, indent=2))
        return
    for entry in entries:
        click.echo(f"{entry.spool_id}  số lần thử={entry.attempts}  {entry.size:>9} B  {entry.mail_from or '-'}  "
                   f"{entry.subject}")
        if entry.reason:
            click.echo(f"    lý do: {translate(entry.reason)}")
    click.echo(f"{len(entries)} thư trong {queue}/", err=True)


def _entry_json(entry) -> dict:
    return {
        "spool_id": entry.spool_id, "queue": entry.queue, "attempts": entry.attempts, "size": entry.size,
        "received_at": entry.received_at.isoformat() if entry.received_at else None, "mail_from": entry.mail_from,
        "rcpt_tos": list(entry.rcpt_tos), "subject": entry.subject, "reason": entry.reason,
    }


def _echo_spooled(info, envelope, where: str) -> None:
    """The envelope lines of `spool show` and `quarantine show`; sender-controlled values are printed quoted
    (repr) so control characters cannot drive the operator's terminal."""
    click.echo(f"mã thư:     {info.spool_id} ({where})")
    click.echo(f"nhận lúc:   {envelope.received_at:%d/%m/%Y %H:%M:%S %Z} qua {envelope.source} {envelope.peer}")
    click.echo(f"người gửi:  {envelope.mail_from!r}")
    click.echo(f"người nhận: {', '.join(envelope.rcpt_tos)!r}")
    click.echo(f"tiêu đề:    {info.subject!r}")
    click.echo(f"kích thước: {info.size} byte")


@spool.command("show")
@click.argument("spool_id", metavar="MÃ_THƯ")
@click.option("--raw", is_flag=True, help="In nguyên văn các byte của thư.")
@click.pass_context
@handle_errors
def spool_show(ctx, spool_id: str, raw: bool) -> None:
    """Xem một thư trong hàng đợi: phong bì, lý do và (với --raw) nguyên văn thư."""
    info, envelope, raw_bytes, reason = _spool(ctx).show(spool_id)
    if raw:
        sys.stdout.buffer.write(raw_bytes)
        return
    _echo_spooled(info, envelope, f"{info.queue}/, số lần thử {info.attempts}")
    if reason:
        click.echo("lý do:")
        click.echo(reason)


@spool.command("requeue")
@click.argument("spool_ids", nargs=-1, metavar="[MÃ_THƯ]...")
@click.option("--all", "requeue_all", is_flag=True, help="Đưa mọi thư trong bad/ về hàng đợi.")
@click.pass_context
@handle_errors
def spool_requeue(ctx, spool_ids, requeue_all: bool) -> None:
    """Chuyển thư từ bad/ về incoming/ để xử lý lại."""
    store = _spool(ctx)
    ids = [e.spool_id for e in store.list("bad")] if requeue_all else list(spool_ids)
    if not ids:
        raise click.UsageError("cho biết mã thư hoặc --all")
    for spool_id in ids:
        store.requeue(spool_id)
        click.echo(f"Đã đưa {spool_id} về hàng đợi")


@spool.command("flush")
@click.argument("spool_id", required=False, metavar="[MÃ_THƯ]")
@click.pass_context
@handle_errors
def spool_flush(ctx, spool_id: str | None) -> None:
    """Thử lại ngay các thư hoãn (một thư, hoặc tất cả) thay vì đợi đến lượt, như `postqueue -f` của Postfix:
    chẳng hạn khi cơ sở dữ liệu hoặc ổ đĩa đã dùng được trở lại."""
    from gateway.spool import deferral

    count = deferral.retry_now(_spool(ctx), spool_id)
    click.echo(f"Đã đưa {count} thư hoãn (deferred/) về hàng đợi")


@spool.command("purge")
@click.argument("spool_ids", nargs=-1, metavar="[MÃ_THƯ]...")
@click.option("--all", "purge_all", is_flag=True, help="Xoá mọi thư trong bad/.")
@click.option("--yes", is_flag=True, help="Không hỏi xác nhận.")
@click.pass_context
@handle_errors
def spool_purge(ctx, spool_ids, purge_all: bool, yes: bool) -> None:
    """Xoá hẳn thư trong bad/ (không bao giờ xoá trong incoming/ hay claimed/)."""
    store = _spool(ctx)
    if not spool_ids and not purge_all:
        raise click.UsageError("cho biết mã thư hoặc --all")
    if not yes:
        click.confirm(f"Xoá {'mọi thư' if purge_all else f'{len(spool_ids)} thư'} khỏi bad/?", abort=True)
    removed = store.purge(None) if purge_all else sum(store.purge(spool_id) for spool_id in spool_ids)
    click.echo(f"Đã xoá {removed} thư khỏi bad/")


@click.group()
def quarantine() -> None:
    """Thư tách được nhưng không tin cậy hoặc không được nhận (người gửi giả danh, vượt giới hạn), kèm lý do."""


@quarantine.command("list")
@click.option("--json", "as_json", is_flag=True, help="In JSON.")
@click.pass_context
@handle_errors
def quarantine_list(ctx, as_json: bool) -> None:
    """Liệt kê thư bị cách ly kèm lý do, cũ nhất trước."""
    entries = _spool(ctx).list("quarantine")
    if as_json:
        click.echo(json.dumps([_entry_json(e) for e in entries], ensure_ascii=False, indent=2))
        return
    for entry in entries:
        click.echo(f"{entry.spool_id}  {entry.size:>9} B  {entry.mail_from or '-'}  {entry.subject!r}")
        click.echo(f"    lý do: {str(translate(entry.reason))!r}"[:300])
    click.echo(f"{len(entries)} thư trong quarantine/", err=True)


@quarantine.command("show")
@click.argument("spool_id", metavar="MÃ_THƯ")
@click.option("--raw", is_flag=True, help="In nguyên văn các byte của thư.")
@click.pass_context
@handle_errors
def quarantine_show(ctx, spool_id: str, raw: bool) -> None:
    """Xem một thư bị cách ly (hoặc một thư trong auto/): phong bì, tiêu đề và lý do đầy đủ với các chi tiết."""
    from gateway.spool import quarantine as held

    info, envelope, raw_bytes, record = held.show(_spool(ctx), spool_id)
    if raw:
        sys.stdout.buffer.write(raw_bytes)
        return
    _echo_spooled(info, envelope, f"{info.queue}/")
    click.echo(f"lý do:      {str(translate(record.get('reason', '')))!r}")
    click.echo(f"từ lúc:     {iso_date(record.get('quarantined_at', ''))}")
    for key, value in sorted((record.get("detail") or {}).items()):
        click.echo(f"  {detail_key(key)}: {str(detail_value(key, value))!r}"[:500])


@quarantine.command("release")
@click.argument("spool_ids", nargs=-1, required=True, metavar="MÃ_THƯ...")
@click.pass_context
@handle_errors
def quarantine_release(ctx, spool_ids) -> None:
    """Đưa thư từ quarantine/ (hoặc auto/) về incoming/: thư được vào sổ như vừa đến, bỏ qua các kiểm tra tin
    cậy, vòng lặp thư và thư do máy gửi."""
    from gateway.ops import quarantine as quarantine_ops
    from gateway.register.service import Register

    store = _spool(ctx)
    register = Register.open(get_config(ctx))
    try:
        for spool_id in spool_ids:
            quarantine_ops.release(store, register, spool_id, operator())
            click.echo(f"Đã cho {spool_id} vào sổ (trả về hàng đợi, bỏ qua kiểm tra tin cậy)")
    finally:
        register.close()


@quarantine.command("delete")
@click.argument("spool_ids", nargs=-1, required=True, metavar="MÃ_THƯ...")
@click.option("--yes", is_flag=True, help="Không hỏi xác nhận.")
@click.pass_context
@handle_errors
def quarantine_delete(ctx, spool_ids, yes: bool) -> None:
    """Xoá hẳn thư bị cách ly; nhật ký giữ người gửi, tiêu đề và lý do của từng thư."""
    from gateway.ops import quarantine as quarantine_ops
    from gateway.register.service import Register

    if not yes:
        click.confirm(f"Xoá {len(spool_ids)} thư khỏi quarantine/?", abort=True)
    store = _spool(ctx)
    register = Register.open(get_config(ctx))
    try:
        for spool_id in spool_ids:
            quarantine_ops.delete(store, register, spool_id, operator())
            click.echo(f"Đã xoá {spool_id} (nhật ký giữ người gửi, tiêu đề và lý do)")
    finally:
        register.close()


@quarantine.command("return")
@click.argument("spool_id", metavar="MÃ_THƯ")
@click.option("--reason", required=True, metavar="LÝ_DO", help="Lý do trả lại (bằng tiếng Việt, gửi cho nơi gửi).")
@click.pass_context
@handle_errors
def quarantine_return(ctx, spool_id: str, reason: str) -> None:
    """Trả lại thư bị cách ly cho nơi gửi kèm lý do (NĐ30 Điều 21) và bỏ khỏi cách ly; thư không lấy số đến.
    Không làm với người gửi không qua được SPF/DKIM/DMARC (tránh gửi thư đến địa chỉ bị giả danh)."""
    from gateway.ops.returns import return_quarantined
    from gateway.register.service import Register

    config = get_config(ctx)
    register = Register.open(config)
    try:
        done = return_quarantined(_spool(ctx), register, config, spool_id, reason, operator())
    finally:
        register.close()
    click.echo(f"đã trả lại {spool_id} cho {done.recipient}{' (kèm gói tin trạng thái 02)' if done.edxml else ''}")


@quarantine.command("recall")
@click.argument("spool_id", metavar="MÃ_THƯ")
@click.option("--document", "document_id", type=int, metavar="MÃ_VĂN_BẢN",
              help="Văn bản bị thu hồi, khi thông báo không nêu văn bản nào sổ có.")
@click.option("--refuse", is_flag=True, help="Từ chối thu hồi (trạng thái edXML 16): không xoá gì.")
@click.option("--reason", default="", metavar="LÝ_DO", help="Lý do (mặc định: lý do ghi trong thông báo).")
@click.option("--yes", is_flag=True, help="Không hỏi xác nhận.")
@click.pass_context
@handle_errors
def quarantine_recall(ctx, spool_id: str, document_id: int | None, refuse: bool, reason: str, yes: bool) -> None:
    """Trả lời thông báo thu hồi đang bị cách ly: đồng ý thì tệp và các trường của văn bản bị thu hồi được xoá
    (số đến vẫn giữ, ghi "đã thu hồi"), hoặc từ chối; nơi gửi nhận được trả lời (trạng thái edXML 15 hoặc 16) và
    thông báo được giữ cùng hồ sơ thu hồi."""
    from gateway.cli.documents import echo_recalled
    from gateway.ops.recalls import recall_from_notice
    from gateway.register.service import Register

    config = get_config(ctx)
    if not refuse and not yes:
        click.confirm("Đồng ý thu hồi: xoá vĩnh viễn tệp và dữ liệu của văn bản bị thu hồi (giữ số đến)?", abort=True)
    register = Register.open(config)
    try:
        done = recall_from_notice(_spool(ctx), register, config, spool_id, operator(), refuse=refuse,
                                  document_id=document_id, reason=reason)
    finally:
        register.close()
    echo_recalled(done)

