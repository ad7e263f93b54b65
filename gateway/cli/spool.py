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
    """The spool: messages waiting (incoming), being processed (claimed), failed (bad), held (quarantine), or
    sent by a machine and kept without a số đến (auto: delivery reports, auto-replies — "thư tự động")."""


def _spool(ctx):
    from gateway.spool import Spool

    config = get_config(ctx)
    return Spool.from_config(config)


@spool.command("list")
@click.argument("queue", default="bad", type=click.Choice(list(QUEUES)))
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
    _echo_spooled(info, envelope, f"{info.queue}/, số lần thử {info.attempts}")
    if reason:
        click.echo("lý do:")
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
        raise click.UsageError("cho biết mã thư hoặc --all")
    for spool_id in ids:
        store.requeue(spool_id)
        click.echo(f"Đã đưa {spool_id} về hàng đợi")


@spool.command("flush")
@click.argument("spool_id", required=False)
@click.pass_context
@handle_errors
def spool_flush(ctx, spool_id: str | None) -> None:
    """Try deferred messages (one, or all) again now instead of at their next turn, as Postfix's
    `postqueue -f` does: after the database or the disk is back, for instance."""
    from gateway.spool import deferral

    count = deferral.retry_now(_spool(ctx), spool_id)
    click.echo(f"{count} deferred message(s) queued again")


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
        raise click.UsageError("cho biết mã thư hoặc --all")
    if not yes:
        click.confirm(f"Xoá {'mọi thư' if purge_all else f'{len(spool_ids)} thư'} khỏi bad/?", abort=True)
    removed = store.purge(None) if purge_all else sum(store.purge(spool_id) for spool_id in spool_ids)
    click.echo(f"Đã xoá {removed} thư khỏi bad/")


@click.group()
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
        click.echo(f"    lý do: {str(translate(entry.reason))!r}"[:300])
    click.echo(f"{len(entries)} thư trong quarantine/", err=True)


@quarantine.command("show")
@click.argument("spool_id")
@click.option("--raw", is_flag=True, help="Print the raw message bytes.")
@click.pass_context
@handle_errors
def quarantine_show(ctx, spool_id: str, raw: bool) -> None:
    """Show one quarantined message (or one of auto/): envelope, subject and the full reason with its details."""
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
@click.argument("spool_ids", nargs=-1, required=True)
@click.pass_context
@handle_errors
def quarantine_release(ctx, spool_ids) -> None:
    """Send messages of quarantine/ (or auto/) back to incoming/: they are registered as if they had just
    arrived, the trust, loop and machine-sent checks skipped."""
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
@click.argument("spool_ids", nargs=-1, required=True)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
@handle_errors
def quarantine_delete(ctx, spool_ids, yes: bool) -> None:
    """Delete quarantined messages for good; an audit event keeps sender, subject and reason of each."""
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
@click.argument("spool_id")
@click.option("--reason", required=True, help="Why it goes back (Vietnamese, for the sender).")
@click.pass_context
@handle_errors
def quarantine_return(ctx, spool_id: str, reason: str) -> None:
    """Send a quarantined message back to its sender with the reason (ND30 Điều 21) and take it out of
    quarantine; it takes no số đến. Refused for a sender that did not pass SPF/DKIM/DMARC (no backscatter)."""
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
@click.argument("spool_id")
@click.option("--document", "document_id", type=int, help="The recalled document, when the notice did not name "
              "one the register knows.")
@click.option("--refuse", is_flag=True, help="Refuse the recall (edXML status 16): nothing is removed.")
@click.option("--reason", default="", help="The reason (default: the one in the notice).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
@handle_errors
def quarantine_recall(ctx, spool_id: str, document_id: int | None, refuse: bool, reason: str, yes: bool) -> None:
    """Answer a recall notice (thông báo thu hồi) held in quarantine: agree, and the recalled document's files and
    fields are removed (its số đến stays, "đã thu hồi"), or refuse; the sender gets the answer (edXML status 15
    or 16) and the notice is kept with the recall record."""
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

