"""ZIP archives read in memory with limits on members, total size, compression ratio and nesting depth."""

from __future__ import annotations

import io
import logging
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Callable

from gateway.core.config import LimitsConfig
from gateway.core.values import ExtractedText
from gateway.extract.reading import Reading
from gateway.mail.charset import guess_decode
from gateway.mail.names import sanitise_filename, sanitise_path

log = logging.getLogger(__name__)

_ENCRYPTED_FLAG = 0x1
_UTF8_FLAG = 0x800
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError, RuntimeError)

# Reads one member's bytes into texts: (payload, filename, member_path, depth) -> list of ExtractedText.
MemberReader = Callable[[bytes, str, str, int], list[ExtractedText]]


@dataclass
class _Budget:
    """What is left of the archive's limits while its members are read."""

    limits: LimitsConfig
    total: int = 0
    notes: list[str] = field(default_factory=list)


def read_archive(
    payload: bytes, path: str, depth: int, limits: LimitsConfig, read_member: MemberReader
) -> tuple[Reading, list[ExtractedText]]:
    """The archive's own reading ("ok", or "limit"/"broken" with detail) and one or more texts per member."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(payload))
        infos = [info for info in archive.infolist() if not info.is_dir()]
    except _READ_ERRORS as err:
        return Reading("broken", detail=f"not a readable ZIP archive: {err}"), []
    budget = _Budget(limits)
    if len(infos) > limits.zip_max_members:
        budget.notes.append(f"zip_max_members ({limits.zip_max_members}): {len(infos)} members, first ones read")
        infos = infos[: limits.zip_max_members]
    texts: list[ExtractedText] = []
    with archive:
        for info in infos:
            texts.extend(_member(archive, info, path, depth, budget, read_member))
    status = "limit" if budget.notes else "ok"
    detail = "; ".join(budget.notes) or f"{len(infos)} members"
    return Reading(status, "", detail), texts


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as its author meant it: names without the UTF-8 flag are often not CP437."""
    if info.flag_bits & _UTF8_FLAG:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    return guess_decode(raw)[0] if not raw.isascii() else info.filename


def _member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: str, depth: int, budget: _Budget, read_member: MemberReader
) -> list[ExtractedText]:
    inner = sanitise_path(member_name(info)) or f"member-{info.header_offset}"
    member_path = f"{path}/{inner}"
    filename = sanitise_filename(inner.rsplit("/", 1)[-1])
    if info.flag_bits & _ENCRYPTED_FLAG:
        return [_stub(info, filename, member_path, "encrypted", "the member is password-protected")]
    problem = _over_limit(info, budget)
    if problem:
        return [_stub(info, filename, member_path, "limit", problem)]
    try:
        data = _bounded_read(archive, info, budget)
    except _LimitHit as hit:
        return [_stub(info, filename, member_path, "limit", str(hit))]
    except _READ_ERRORS as err:
        return [_stub(info, filename, member_path, "broken", f"cannot unpack: {err}")]
    budget.total += len(data)
    return read_member(data, filename, member_path, depth + 1)


class _LimitHit(Exception):
    """Unpacking a member went past one of the limits (named in the message)."""


def _over_limit(info: zipfile.ZipInfo, budget: _Budget) -> str:
    """A limit that the member's declared sizes already break, or ""."""
    limits = budget.limits
    if info.file_size > limits.max_attachment_size:
        return f"max_attachment_size ({limits.max_attachment_size}): member declares {info.file_size} bytes"
    if budget.total + info.file_size > limits.zip_max_total_size:
        return f"zip_max_total_size ({limits.zip_max_total_size}) reached"
    if info.file_size > limits.zip_max_ratio * max(info.compress_size, 1):
        return f"zip_max_ratio ({limits.zip_max_ratio}): {info.file_size} bytes from {info.compress_size}"
    return ""


def _bounded_read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget) -> bytes:
    """Unpack at most the allowed number of bytes; declared sizes are not trusted."""
    limits = budget.limits
    allowed = min(
        limits.max_attachment_size,
        limits.zip_max_total_size - budget.total,
        limits.zip_max_ratio * max(info.compress_size, 1),
    )
    with archive.open(info) as stream:
        data = stream.read(allowed + 1)
    if len(data) > allowed:
        raise _LimitHit(f"zip_max_ratio/zip_max_total_size/max_attachment_size: more than {allowed} bytes unpacked")
    return data


def _stub(info: zipfile.ZipInfo, filename: str, member_path: str, status: str, detail: str) -> ExtractedText:
    """A text entry for a member that was not unpacked."""
    log.info("archive member %s: %s (%s)", member_path, status, detail)
    return ExtractedText(
        filename=filename,
        sniffed_type="binary",
        sha256="",
        size=info.file_size,
        status=status,
        detail=detail,
        member_path=member_path,
    )
