"""Running the gateway: `serve` (the daemon), `web` (only the web UI and API), `import` (files now)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from gateway.cli.base import EXIT_ERROR, get_config, handle_errors
from gateway.core.errors import ConfigError
from gateway.web.labels import DUPLICATE_REASONS
from gateway.web.reasons import translate


@click.command()
@click.option("--workers", type=click.IntRange(1, 64), help="Số tiến trình xử lý (mặc định: workers.count).")
@click.pass_context
@handle_errors
def serve(ctx: click.Context, workers: int | None) -> None:
    """Chạy gateway: tiếp nhận qua SMTP và IMAP, các tiến trình vào sổ và phân phối thư trong hàng đợi, bộ gửi thư
    đi khi có outbox.relay_host, và giao diện web khi có web.listen (hoặc --web-listen)."""
    from gateway.ops.preflight import preflight
    from gateway.runtime.daemon import Daemon

    config = get_config(ctx)
    problems = preflight(config)
    if problems:  # exit 3 with every problem, before anything is started
        raise ConfigError.of(problems)
    services = []
    if config.web.listen:
        from gateway.web.server import WebServer  # FastAPI and uvicorn load only when the web UI is on

        services.append(WebServer(config))
    sys.exit(Daemon(config, workers, services=services).run())


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path),
                metavar="ĐƯỜNG_DẪN...")
@click.option("--json", "as_json", is_flag=True, help="Mỗi thư một đối tượng JSON trên stdout.")
@click.pass_context
@handle_errors
def import_(ctx: click.Context, paths: tuple[Path, ...], as_json: bool) -> None:
    """Vào sổ ngay các tệp .eml, tệp mbox và thư mục Maildir, in kết quả của từng thư."""
    from gateway.register.service import Register
    from gateway.runtime.importer import Importer, count_messages, find_messages
    from gateway.spool import Spool

    config = get_config(ctx)
    spool = Spool.from_config(config)
    spool.ensure()
    from gateway.routing.router import open_router

    register = Register(config)
    register.upgrade()
    importer = Importer(config, spool, register, open_router(config, register))
    totals = {"registered": 0, "duplicate": 0, "already-registered": 0, "quarantined": 0, "automatic": 0,
              "deferred": 0, "bad": 0}
    lines = []
    try:
        with click.progressbar(length=count_messages(list(paths)), label="đang nhập", file=sys.stderr) as bar:
            for item in find_messages(list(paths)):
                outcome = importer.import_one(item)
                kind = outcome_kind(outcome)
                totals[kind] += 1
                lines.append(_describe_import(item.source_ref, outcome, as_json))
                bar.update(1)
    finally:
        register.close()
    for line in lines:
        click.echo(line)
    click.echo(", ".join(f"{count} {OUTCOMES[kind]}" for kind, count in totals.items()), err=True)
    if totals["bad"]:
        click.echo("xem các thư lỗi bằng `gateway spool list bad`", err=True)
        sys.exit(EXIT_ERROR)


def outcome_kind(outcome) -> str:
    """registered, duplicate, already-registered, quarantined, automatic (kept in auto/), deferred or bad."""
    if outcome.registration is not None:
        return outcome.registration.outcome
    if outcome.quarantined:
        return "quarantined"
    return "automatic" if outcome.automatic else "deferred" if outcome.deferred else "bad"


OUTCOMES = {"registered": "vào sổ", "duplicate": "trùng", "already-registered": "đã vào sổ từ trước",
            "quarantined": "cách ly", "automatic": "thư tự động", "deferred": "hoãn", "bad": "lỗi"}


def _describe_import(source_ref: str, outcome, as_json: bool) -> str:
    reg = outcome.registration
    if as_json:
        data = {"source": source_ref, "spool_id": outcome.spool_id,
                "outcome": outcome_kind(outcome)}
        if reg:
            data.update(document_id=reg.document_id or reg.duplicate_of_document_id, year=reg.year,
                        arrival_number=reg.arrival_number, register=reg.register_code)
        else:
            data["error"] = outcome.error or outcome.quarantined or outcome.automatic
        return json.dumps(data, ensure_ascii=False)
    if reg is None and outcome.quarantined:
        return f"{source_ref}: cách ly ({translate(outcome.quarantined)})"
    if reg is None and outcome.automatic:
        return f"{source_ref}: không phải văn bản, để trong thư tự động auto/ ({translate(outcome.automatic)})"
    if reg is None and outcome.deferred:
        return (f"{source_ref}: hoãn ({translate(outcome.error)}); gateway sẽ thử lại (hoặc `gateway spool flush`)")
    if reg is None:
        return f"{source_ref}: chuyển vào bad/ ({translate(outcome.error)})"
    if reg.outcome == "registered":
        if reg.arrival_number is None:
            return (f"{source_ref}: vào sổ (mã văn bản {reg.document_id}); số đến chờ các thư nhận trước nó")
        return f"{source_ref}: vào sổ số đến {reg.arrival_number}/{reg.year} (mã văn bản {reg.document_id})"
    return (f"{source_ref}: {OUTCOMES.get(reg.outcome, reg.outcome)} với văn bản mã {reg.duplicate_of_document_id}"
            f" ({DUPLICATE_REASONS.get(reg.reason, reg.reason)})")


@click.command("web")
@click.option("--web-listen", "listen", metavar="HOST:PORT",
              help="Địa chỉ HOST:PORT để phục vụ (mặc định: web.listen, không có thì 127.0.0.1:8080).")
@click.pass_context
@handle_errors
def web_cmd(ctx: click.Context, listen: str | None) -> None:
    """Chỉ chạy giao diện web và JSON API (cơ sở dữ liệu của sổ phải đã được nâng cấp), đến khi Ctrl-C hoặc
    SIGTERM."""
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
