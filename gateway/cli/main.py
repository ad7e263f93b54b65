"""The `gateway` command line: thin click commands that call the library and turn errors into exit codes."""

from __future__ import annotations

import functools

import click

from gateway import __version__
from gateway.cli.documents import (
    audit,
    db,
    direct,
    extract,
    link_cmd,
    phieu_cmd,
    recall_cmd,
    register_paper,
    return_cmd,
    search,
    show,
)
from gateway.cli.help import VietnameseGroup, in_vietnamese
from gateway.cli.imap import imap
from gateway.cli.labels import labels
from gateway.cli.operate import backup_cmd, config_group, doctor, restore_cmd, status
from gateway.cli.routing import outbox, rules
from gateway.cli.run import import_, serve, web_cmd
from gateway.cli.spool import quarantine, spool
from gateway.cli.users import user
from gateway.core.config import Config, load_config
from gateway.core.logs import setup_logging


@click.group(cls=VietnameseGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Tệp cấu hình TOML "
              "(mặc định: ./gateway.toml, không có thì /etc/gateway/gateway.toml, không có nữa thì giá trị dựng sẵn).")
@click.option("--data-dir", metavar="THƯ_MỤC",
              help="Thay paths.data_dir: thư mục chứa hàng đợi thư, kho tệp và sổ đăng ký SQLite.")
@click.option("--database", metavar="URL", help="Thay database.url (sqlite:///TỆP hoặc postgresql+psycopg://...).")
@click.option("--smtp-listen", metavar="HOST:PORT", help="Thay smtp.listen (HOST:PORT).")
@click.option("--web-listen", metavar="HOST:PORT", help="Thay web.listen (HOST:PORT của giao diện web và JSON API).")
@click.option("-v", "--verbose", is_flag=True, help="Ghi nhật ký ở mức DEBUG.")
@click.version_option(__version__, prog_name="gateway", message="%(prog)s, phiên bản %(version)s",
                      help="In phiên bản rồi thoát.")
@click.pass_context
def main(ctx: click.Context, config_path, data_dir, database, smtp_listen, web_listen, verbose) -> None:
    """Cổng tiếp nhận văn bản qua thư điện tử: nhận thư công vụ, vào sổ mỗi văn bản với số đến của nó."""
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

    ctx.obj = {"config_loader": loader, "config_path": config_path, "overrides": overrides}


main.add_command(serve)
main.add_command(import_)
main.add_command(web_cmd)
main.add_command(user)
main.add_command(search)
main.add_command(show)
main.add_command(labels)
main.add_command(extract)
main.add_command(register_paper)
main.add_command(direct)
main.add_command(return_cmd)
main.add_command(recall_cmd)
main.add_command(link_cmd)
main.add_command(phieu_cmd)
main.add_command(audit)
main.add_command(db)
main.add_command(status)
main.add_command(doctor)
main.add_command(backup_cmd)
main.add_command(restore_cmd)
main.add_command(config_group)
main.add_command(spool)
main.add_command(quarantine)
main.add_command(imap)
main.add_command(rules)
main.add_command(outbox)
in_vietnamese(main)
