"""Keeping it running: status, doctor, backup and restore, the configuration."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import click

from gateway.cli.base import EXIT_CONFIG, EXIT_ERROR, get_config, handle_errors
from gateway.core.config import render_toml
from gateway.core.errors import ConfigError
from gateway.web.labels import iso_date
from gateway.web.reasons import translate


@click.command()
@click.option("--json", "as_json", is_flag=True, help="In JSON.")
@click.pass_context
@handle_errors
def status(ctx, as_json: bool) -> None:
    """Số thư trong các hàng đợi, thư chờ lâu nhất, số văn bản vào sổ hôm nay và theo từng sổ, từng năm."""
    from gateway.ops.status import collect_status, render_status

    report = collect_status(get_config(ctx))
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        click.echo(render_status(report, translate))


@click.command()
@click.pass_context
def doctor(ctx) -> None:
    """Kiểm tra cấu hình, cơ sở dữ liệu, hàng đợi thư, ổ đĩa, các chương trình phụ trợ và đồng hồ; thoát với mã 1 khi có
    mục LỖI."""
    from gateway.ops.doctor import FAIL, LEVELS, NAMES, OK, run_checks

    try:
        config = get_config(ctx)
    except ConfigError as err:
        for problem in err.problems:
            click.echo(f"{LEVELS[FAIL]:<8}  {NAMES['config']}: {translate(str(problem))}")
        sys.exit(EXIT_CONFIG)
    checks = run_checks(config)
    for check in checks:
        # a problem's detail may come in English from a lower layer (the register, the configuration)
        shown = check if check.level == OK else dataclasses.replace(check, detail=str(translate(check.detail)))
        click.echo(shown.line())
    failed = [NAMES.get(check.name, check.name) for check in checks if check.level == FAIL]
    if failed:
        click.echo(f"{len(failed)} mục kiểm tra có lỗi: {', '.join(failed)}", err=True)
        sys.exit(EXIT_ERROR)


@click.command("backup")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path), metavar="THƯ_MỤC_MỚI")
@click.pass_context
@handle_errors
def backup_cmd(ctx, dest: Path) -> None:
    """Sao lưu sổ đăng ký, kho tệp và hàng đợi thư vào THƯ_MỤC_MỚI (một thư mục mới) kèm bảng kê sha256."""
    from gateway.ops.backup import backup

    manifest = backup(get_config(ctx), dest)
    click.echo(f"Đã sao lưu vào {dest}: sổ đăng ký ({manifest.database}), {len(manifest.files)} tệp")


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path), metavar="THƯ_MỤC_SAO_LƯU")
@click.pass_context
@handle_errors
def restore_cmd(ctx, source: Path) -> None:
    """Phục hồi bản sao lưu vào thư mục dữ liệu trống (và cơ sở dữ liệu trống) sau khi kiểm tra mọi tổng kiểm."""
    from gateway.ops.backup import restore

    config = get_config(ctx)
    manifest = restore(config, source)
    click.echo(f"Đã phục hồi {len(manifest.files)} tệp từ {source} (bản sao lưu lúc {iso_date(manifest.created_at)}) "
               f"vào {config.data_dir}")


@click.group("config")
def config_group() -> None:
    """Tệp cấu hình."""


@config_group.command("check")
@click.pass_context
@handle_errors
def config_check(ctx) -> None:
    """Kiểm tra cấu hình và những gì `serve` cần từ nó (thư mục dữ liệu ghi được, tệp luật, lịch, các tệp TLS và
    tệp mật khẩu đọc được); in mọi lỗi, thoát với mã 3 nếu có."""
    from gateway.core.config import read_config
    from gateway.ops.preflight import preflight

    config, problems = read_config(ctx.obj["config_path"], ctx.obj["overrides"])
    problems += preflight(config)
    for problem in problems:
        click.echo(translate(problem))
    if problems:
        click.echo(f"{len(problems)} lỗi trong cấu hình", err=True)
        sys.exit(EXIT_CONFIG)
    rules = (f"luật định tuyến ở {config.routing.rules_dir}" if config.routing.rules_dir
             else "không phân phối (chưa đặt routing.rules_dir)")
    click.echo(f"{config.source}: hợp lệ (dữ liệu ở {config.data_dir}, {rules})")


@config_group.command("memory")
@click.pass_context
@handle_errors
def config_memory(ctx) -> None:
    """In tệp drop-in systemd đặt MemoryMax của dịch vụ theo workers.count (0: mỗi CPU của máy một tiến trình):
    tiến trình serve cộng mỗi tiến trình xử lý với tiến trình đọc tệp của nó."""
    from gateway.ops.memory import memory_limit, systemd_dropin

    config = get_config(ctx)
    click.echo(systemd_dropin(memory_limit(config), config.source), nl=False)


@config_group.command("show")
@click.pass_context
@handle_errors
def config_show(ctx) -> None:
    """In cấu hình đang có hiệu lực, che các giá trị bí mật."""
    click.echo(render_toml(get_config(ctx)), nl=False)
