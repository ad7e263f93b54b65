"""`gateway labels DIR`: the fields people confirmed or corrected, written as the labelled set bench/fields.py reads."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from gateway.cli.base import get_config, handle_errors, operator

BATCH = 2000  # document ids looked at per read


def _join(*names: str) -> Callable[[dict[str, Any]], str]:
    return lambda values: "/".join(str(values[n]) for n in names if values[n])


def _iso(name: str) -> Callable[[dict[str, Any]], str]:
    return lambda values: values[name].isoformat() if values[name] else ""


# bench/fields.py's label key → (the register fields a person must have settled, how the label is written)
LABELS: dict[str, tuple[tuple[str, ...], Callable[[dict[str, Any]], Any]]] = {
    "so_ky_hieu": (("code_number", "code_notation"), _join("code_number", "code_notation")),
    "ngay_ban_hanh": (("issued_date",), _iso("issued_date")),
    "dia_danh": (("place",), lambda v: v["place"]),
    "co_quan_ban_hanh": (("organ_name",), lambda v: v["organ_name"]),
    "loai_van_ban": (("type_name",), lambda v: v["type_name"]),
    "trich_yeu": (("subject",), lambda v: v["subject"]),
    "nguoi_ky": (("signer_name",), lambda v: v["signer_name"]),
    "chuc_vu": (("signer_position",), lambda v: v["signer_position"]),
    "kinh_gui": (("addressees",), lambda v: [x for x in (v["addressees"] or "").split("; ") if x]),
}


def label_line(document: Any, file_name: str) -> dict[str, Any]:
    """One labels.jsonl line: only the keys whose fields a person confirmed or corrected (a key left out was
    not checked, and is no label)."""
    line: dict[str, Any] = {"id": str(document.id), "file": file_name,
                            "text_layer": not (document.file and document.file.scanned)}
    for key, (needed, write) in LABELS.items():
        if all(name in document.settled for name in needed):
            line[key] = write(document.values)
    return line


def _safe(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name).lstrip(".") or "tep"


@click.command("labels")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), metavar="THƯ_MỤC")
@click.option("--since", "date_from", type=click.DateTime(["%d/%m/%Y", "%Y-%m-%d"]), help="Đến từ ngày này.")
@click.option("--until", "date_to", type=click.DateTime(["%d/%m/%Y", "%Y-%m-%d"]), help="Đến đến hết ngày này.")
@click.option("--complete", is_flag=True,
              help="Chỉ những văn bản có mọi trường đã được xác nhận hoặc sửa (bench/fields.py coi khoá thiếu là "
                   "nhãn trống).")
@click.pass_context
@handle_errors
def labels(ctx, directory: Path, date_from, date_to, complete: bool) -> None:
    """Ghi các trường đã được người xác nhận hoặc sửa vào THƯ_MỤC/labels.jsonl, kèm tệp của từng văn bản (PDF,
    không có thì DOCX, DOC hoặc edXML) trong THƯ_MỤC/files/, cho `bench/fields.py THƯ_MỤC`.

    Khoá theo cách bench/fields.py đọc (so_ky_hieu, ngay_ban_hanh, co_quan_ban_hanh, loai_van_ban, trich_yeu,
    nguoi_ky, chuc_vu, dia_danh, kinh_gui); trường chưa ai xác nhận hay sửa thì không ghi vào dòng.
    """
    from gateway.register.service import Register

    register = Register.open(get_config(ctx))
    files = directory / "files"
    files.mkdir(parents=True, exist_ok=True)
    written = skipped = 0
    try:
        with (directory / "labels.jsonl").open("w", encoding="utf-8") as out:
            after = 0
            while True:
                after, found = register.views.reviewed_documents(
                    after, BATCH, date_from.date() if date_from else None, date_to.date() if date_to else None)
                if not after:
                    break
                for document in found:
                    if document.file is None:
                        skipped += 1
                        continue
                    name = f"{document.id}-{_safe(document.file.filename or document.file.sniffed_type)}"
                    line = label_line(document, f"files/{name}")
                    if complete and not set(LABELS) <= set(line):
                        continue
                    (files / name).write_bytes(register.blobs.get(document.file.sha256))
                    out.write(json.dumps(line, ensure_ascii=False) + "\n")
                    written += 1
        register.record_event("labels-exported", operator(), {"directory": str(directory), "documents": written})
    finally:
        register.close()
    click.echo(f"Đã ghi {written} văn bản có trường được xác nhận vào {directory / 'labels.jsonl'}"
               + (f"; bỏ qua {skipped} văn bản không có tệp" if skipped else ""))
