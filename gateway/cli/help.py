"""`--help` and usage errors in Vietnamese: click's own words (the usage line, the headings, the help and version
options, "[required]", "[default: …]", the type placeholders, its usage errors) for every command of the tree.
Each command's own help is written in Vietnamese where the command is."""

from __future__ import annotations

import re
import sys

import click

from gateway.core.text import has_diacritics

HEADINGS = {"Options": "Tùy chọn", "Commands": "Lệnh", "Positional arguments": "Đối số"}
CLICK_HELP = {"Show this message and exit.": "In hướng dẫn này rồi thoát.",
              "Show the version and exit.": "In phiên bản rồi thoát."}
PLACEHOLDERS = {"INTEGER RANGE": "SỐ", "INTEGER": "SỐ", "FLOAT": "SỐ", "TEXT": "CHUỖI", "FILE": "TỆP",
                "DIRECTORY": "THƯ_MỤC", "PATH": "ĐƯỜNG_DẪN"}
_PLACEHOLDER = re.compile(r"\b(" + "|".join(PLACEHOLDERS) + r")\b")
# strptime's codes in a date option's formats ([%Y-%m-%d|%d/%m/%Y]) as Vietnamese writes a date's shape:
# NNNN năm, TT tháng, NN ngày (and GG:PP:GG for the time of day).
DATE_CODES = {"%Y": "NNNN", "%m": "TT", "%d": "NN", "%H": "GG", "%M": "PP", "%S": "GG"}
_DATE_CODE = re.compile("|".join(DATE_CODES))
_EXTRA = re.compile(r"\[([^\[\]]*)\]$")

# click's usage errors (their English shapes) → Vietnamese; names of options and arguments stay as they are.
USAGE_ERRORS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"No such command '(.+)'\.(?: \(?Did you mean (?:one of: )?(.+?)\?\)?)?", re.S),
     "không có lệnh '{0}'"),
    (re.compile(r"No such option:? '?([^'\s]+?)'?\.?(?: \(?Did you mean (?:one of: )?(.+?)\?\)?)?", re.S),
     "không có tùy chọn {0}"),
    (re.compile(r"Missing argument '(.+)'\."), "thiếu đối số {0}"),
    (re.compile(r"Missing option '(.+)'\."), "thiếu tùy chọn {0}"),
    (re.compile(r"Missing command\."), "thiếu lệnh"),
    (re.compile(r"Option '(.+)' requires an argument\."), "tùy chọn {0} cần một giá trị"),
    (re.compile(r"Got unexpected extra arguments? \((.+)\)"), "thừa đối số: {0}"),
    (re.compile(r"Invalid value for '?([^':]+)'?: (.+)", re.S), "giá trị không hợp lệ cho {0}: {1}"),
)
_INVALID = (
    (re.compile(r"'(.*)' is not a valid integer( range)?\."), "'{0}' không phải số nguyên"),
    (re.compile(r"(.+) is not in the range (.+)\."), "{0} nằm ngoài khoảng {1}"),
    (re.compile(r"'(.*)' is not one of (.+)\.", re.S), "'{0}' không phải một trong {1}"),
    (re.compile(r"'(.*)' does not match the formats? (.+)\.", re.S), "'{0}' không đúng dạng {1}"),
    (re.compile(r"(?:File|Directory|Path) '(.+)' does not exist\."), "'{0}' không tồn tại"),
    (re.compile(r"(?:File|Path) '(.+)' is a directory\."), "'{0}' là thư mục"),
    (re.compile(r"(?:Directory|Path) '(.+)' is a file\."), "'{0}' là tệp"),
)


def _date_shapes(text: str) -> str:
    return _DATE_CODE.sub(lambda m: DATE_CODES[m[0]], text)


def _placeholders(term: str) -> str:
    return _date_shapes(_PLACEHOLDER.sub(lambda m: PLACEHOLDERS[m[1]], term))


def _help_text(text: str) -> str:
    text = CLICK_HELP.get(text, text)
    extra = _EXTRA.search(text)
    if not extra:
        return text
    parts = [p.replace("required", "bắt buộc").replace("default: ", "mặc định: ") for p in extra[1].split("; ")]
    return text[:extra.start()] + "[" + "; ".join(parts) + "]"


def usage_error(message: str) -> str:
    """A usage error of click in Vietnamese (one a command wrote in Vietnamese as it is; an unknown English shape
    behind a Vietnamese word)."""
    for pattern, said in USAGE_ERRORS:
        match = pattern.fullmatch(message.strip())
        if match:
            values = list(match.groups())
            if said.endswith("{1}"):
                values[1] = _invalid(values[1])
            meant = match.groups()[1] if said.startswith("không có") else None
            return said.format(*values) + (f" (có phải ý bạn là {meant}?)" if meant else "")
    return message if has_diacritics(message) else f"cách gọi lệnh không đúng: {message}"


def _invalid(detail: str) -> str:
    for pattern, said in _INVALID:
        match = pattern.fullmatch(detail.strip())
        if match:
            return _date_shapes(said.format(*match.groups()))
    return detail


class VietnameseHelp(click.HelpFormatter):
    """click's help formatter with its own words in Vietnamese."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, "Cách dùng: " if prefix is None else prefix)

    def section(self, name: str):
        return super().section(HEADINGS.get(name, name))

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        super().write_dl([(_placeholders(term), _help_text(text)) for term, text in rows], col_max, col_spacing)


class VietnameseContext(click.Context):
    formatter_class = VietnameseHelp


class VietnameseGroup(click.Group):
    """The root command: usage errors said in Vietnamese, with the usage line and where to find help."""

    def main(self, *args, standalone_mode: bool = True, **kwargs):
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            result = super().main(*args, standalone_mode=False, **kwargs)
        except click.exceptions.NoArgsIsHelpError as err:  # a group called without its command: its help
            err.show()
            sys.exit(err.exit_code)
        except click.UsageError as err:
            if err.ctx is not None:
                click.echo(err.ctx.get_usage(), err=True)
                click.echo(f"Xem `{err.ctx.command_path} --help`.", err=True)
            click.echo(f"gateway: lỗi: {usage_error(err.format_message())}", err=True)
            sys.exit(err.exit_code)
        except click.Abort:
            click.echo("Đã dừng.", err=True)
            sys.exit(1)
        except click.ClickException as err:
            click.echo(f"gateway: lỗi: {err.format_message()}", err=True)
            sys.exit(err.exit_code)
        sys.exit(result if isinstance(result, int) else 0)


def in_vietnamese(command: click.Command) -> None:
    """Give ``command`` and every command below it the Vietnamese help formatter and placeholders."""
    command.context_class = VietnameseContext
    command.options_metavar = "[TÙY_CHỌN]"
    if isinstance(command, click.Group):
        command.subcommand_metavar = "LỆNH [ĐỐI_SỐ]..."
        for sub in command.commands.values():
            in_vietnamese(sub)
