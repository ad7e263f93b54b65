"""The `gateway rules` and `gateway outbox` commands: check, explain and reload rule files; list and retry mail."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sys
import zoneinfo
from pathlib import Path

import click

from gateway.cli.base import EXIT_CONFIG, EXIT_ERROR, fail, get_config, handle_errors
from gateway.core.errors import ConfigError, GatewayError
from gateway.web import labels
from gateway.web.reasons import translate


@click.group()
def rules() -> None:
    """Tệp luật định tuyến (phân phối): kiểm tra, giải thích một quyết định, yêu cầu gateway nạp lại."""


def _rules_dir(ctx, directory: str | None) -> str:
    if directory:
        return directory
    config = get_config(ctx)
    if not config.routing.rules_dir:
        raise ConfigError(f"{config.source}: chưa đặt routing.rules_dir; hãy cho biết thư mục: "
                          "gateway rules check THƯ_MỤC")
    return config.routing.rules_dir


@rules.command("check")
@click.argument("directory", required=False, type=click.Path(file_okay=False), metavar="[THƯ_MỤC]")
@click.pass_context
def rules_check(ctx, directory: str | None) -> None:
    """Kiểm tra các tệp luật trong THƯ_MỤC (mặc định: routing.rules_dir); in mọi lỗi, thoát với mã 1 nếu có."""
    from gateway.core.errors import RuleFileError
    from gateway.routing.router import own_address_of
    from gateway.routing.rules import load_rules

    try:
        directory = _rules_dir(ctx, directory)
        own_address = own_address_of(get_config(ctx))
    except GatewayError as err:
        fail(str(err), EXIT_CONFIG)
    try:
        ruleset = load_rules(directory, own_address=own_address)
    except RuleFileError as err:
        for problem in err.problems:
            click.echo(str(problem))
        click.echo(f"{len(err.problems)} lỗi trong {directory}", err=True)
        sys.exit(EXIT_ERROR)
    click.echo(f"{directory}: hợp lệ — {len(ruleset.rules)} luật, {len(ruleset.departments)} đơn vị, "
               f"phiên bản {ruleset.version}")


@rules.command("explain")
@click.argument("target", metavar="TỆP_THƯ|MÃ_VĂN_BẢN")
@click.option("--rules", "directory", type=click.Path(file_okay=False), metavar="THƯ_MỤC",
              help="Thư mục luật (mặc định: routing.rules_dir).")
@click.pass_context
def rules_explain(ctx, target: str, directory: str | None) -> None:
    """Giải thích các luật phân phối một tệp .eml hoặc một văn bản đã vào sổ (theo mã) thế nào: từng luật, khớp
    hay không, điều kiện quyết định, và kết quả: đơn vị chủ trì, phối hợp, để biết và thời hạn."""
    handle_errors(_explain)(ctx, target, directory)


def _explain(ctx, target: str, directory: str | None) -> None:
    from gateway.cli.showing import action_text
    from gateway.routing.evaluate import evaluate
    from gateway.routing.explain import explain
    from gateway.routing.rules import load_rules
    from gateway.routing.workdays import load_calendar

    config = get_config(ctx)
    ruleset = load_rules(_rules_dir(ctx, directory))
    calendar = load_calendar(config.routing.calendar_file)
    zone = zoneinfo.ZoneInfo(config.register.timezone)
    if Path(target).is_file():
        facts = _facts_of_file(Path(target), config)
        arrival = dt.datetime.now(zone).date()
    elif target.isdigit():
        facts, arrival = _facts_of_document(int(target), config)
    else:
        raise GatewayError(f"{target}: không phải tệp thư, cũng không phải mã văn bản")
    click.echo(explain(ruleset, facts, evaluate(ruleset, facts), arrival, calendar, action_text))


def _facts_of_file(path: Path, config):
    from gateway.core.values import Envelope, SpooledMessage
    from gateway.routing.facts import facts_from
    from gateway.runtime.pipeline import understand_spooled

    # Explaining routing, not judging the sender: as if the văn thư had let the message by (trust, loop and
    # machine-sent checks are skipped, so an unsigned test file can be explained).
    envelope = Envelope(source="import", received_at=dt.datetime.now(dt.timezone.utc), source_ref=str(path),
                        released_by="rules explain")
    ready = understand_spooled(SpooledMessage("explain", envelope, path.read_bytes()), config)
    return facts_from(envelope, ready.extracted, ready.meta)


def _facts_of_document(document_id: int, config):
    from gateway.mail.parse import parse_message
    from gateway.register.service import Register
    from gateway.routing.facts import facts_from_record

    register = Register.open(config)
    try:
        record = register.get_document(document_id)
        texts = register.attachment_texts(document_id)
        body = parse_message(register.blobs.get(record.message_sha256), config.limits).body_text
    finally:
        register.close()
    return facts_from_record(record, body, texts), record.arrival_date


@rules.command("reload")
@click.pass_context
def rules_reload(ctx) -> None:
    """Kiểm tra các tệp luật rồi yêu cầu tiến trình gateway đang chạy nạp lại (như gửi SIGHUP)."""
    handle_errors(_reload)(ctx)


def _reload(ctx) -> None:
    from gateway.routing.router import own_address_of
    from gateway.routing.rules import check_rules
    from gateway.runtime.daemon import PID_FILE

    config = get_config(ctx)
    directory = _rules_dir(ctx, None)
    problems = check_rules(directory, own_address_of(config))
    if problems:
        for problem in problems:
            click.echo(str(problem))
        click.echo(f"{len(problems)} lỗi: không nạp lại; tiến trình gateway giữ nguyên bộ luật đang dùng", err=True)
        sys.exit(EXIT_ERROR)
    pid_file = config.data_dir / PID_FILE
    try:
        pid = int(pid_file.read_text(encoding="ascii").strip())
        os.kill(pid, signal.SIGHUP)
    except FileNotFoundError:
        raise GatewayError(f"Không có tiến trình gateway nào đang chạy để báo (chưa có {pid_file})") from None
    except (OSError, ValueError) as err:
        raise GatewayError(f"Không có tiến trình gateway nào đang chạy để báo ({pid_file}: {err})") from err
    click.echo(f"Đã yêu cầu tiến trình gateway {pid} nạp lại {directory}")


@click.group()
def outbox() -> None:
    """Thư đi (chuyển tiếp cho đơn vị, báo nhận cho nơi gửi): liệt kê và gửi lại."""


@outbox.command("list")
@click.option("--state", type=click.Choice(["queued", "sending", "sent", "failed"]),
              help="Chỉ trạng thái này: queued (chờ gửi), sending (đang gửi), sent (đã gửi), failed (gửi không được).")
@click.option("--document", "document_id", type=int, metavar="MÃ_VĂN_BẢN", help="Chỉ thư của văn bản này.")
@click.option("--limit", default=100, show_default=True, help="Số dòng nhiều nhất, mới nhất trước.")
@click.option("--json", "as_json", is_flag=True, help="In JSON, mỗi thư một dòng.")
@click.pass_context
def outbox_list(ctx, state, document_id, limit, as_json) -> None:
    """Liệt kê thư đi, mới nhất trước, với trạng thái, số lần gửi và lỗi gần nhất."""
    handle_errors(_outbox_list)(ctx, state, document_id, limit, as_json)


def _outbox_list(ctx, state, document_id, limit, as_json) -> None:
    from gateway.register.service import Register

    register = Register.open(get_config(ctx))
    try:
        items = register.outbox.list(state, document_id, limit)
        totals = register.outbox.counts()
    finally:
        register.close()
    for item in items:
        if as_json:
            data = {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in vars(item).items()}
            click.echo(json.dumps(data, ensure_ascii=False))
            continue
        error = f"  ({translate(item.last_error)})" if item.last_error else ""
        click.echo(f"{item.id:>6}  {labels.one(labels.MAIL_STATES, item.state):<15} "
                   f"{labels.one(labels.MAIL_KINDS, item.kind):<12} văn bản {item.document_id or '-':<6} "
                   f"{item.recipient}  {item.attempts} lần gửi{error}")
    if not as_json:
        click.echo(", ".join(f"{n} {labels.one(labels.MAIL_STATES, s)}" for s, n in totals.items()), err=True)


@outbox.command("retry")
@click.argument("ids", nargs=-1, type=int, metavar="[MÃ_THƯ_ĐI]...")
@click.option("--all-failed", is_flag=True, help="Gửi lại mọi thư gửi không được.")
@click.pass_context
def outbox_retry(ctx, ids, all_failed) -> None:
    """Xếp lại thư gửi không được (theo mã, hoặc --all-failed); gateway đang chạy gửi ở lượt kiểm tra sau."""
    handle_errors(_outbox_retry)(ctx, ids, all_failed)


def _outbox_retry(ctx, ids, all_failed) -> None:
    from gateway.register.service import Register

    if bool(ids) == bool(all_failed):
        raise GatewayError("Cho biết mã thư đi hoặc --all-failed.")
    register = Register.open(get_config(ctx))
    try:
        count = register.outbox.retry(None if all_failed else list(ids))
    finally:
        register.close()
    click.echo(f"Đã xếp lại {count} thư để gửi")
