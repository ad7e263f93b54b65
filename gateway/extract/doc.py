"""Legacy Word 97–2003 .doc text through Debian's antiword (catdoc as the fallback), run with a timeout."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile

from gateway.core.text import nfc
from gateway.extract.reading import Reading, from_text

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 30
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_WORD_STREAM = "WordDocument".encode("utf-16-le")  # the directory entry every Word 97-2003 file has


def read_doc(payload: bytes) -> Reading:
    """Text of an OLE2 Word file; "unsupported" when neither antiword nor catdoc is installed."""
    if _ENCRYPTED_STREAM in payload:
        return Reading("encrypted", detail="password-protected Office document (OLE EncryptedPackage)")
    if _WORD_STREAM not in payload:
        return Reading("unsupported", detail="OLE2 file without a WordDocument stream (Excel, PowerPoint, Outlook?)")
    antiword, catdoc = shutil.which("antiword"), shutil.which("catdoc")
    if not antiword and not catdoc:
        return Reading("unsupported", detail="install the Debian package antiword (or catdoc) to read .doc files")
    with tempfile.NamedTemporaryFile(prefix="gateway-", suffix=".doc") as handle:
        handle.write(payload)
        handle.flush()
        result = _run([antiword, "-m", "UTF-8.txt", "-w", "0", handle.name]) if antiword else None
        if (result is None or result.status == "broken") and catdoc:
            fallback = _run([catdoc, "-d", "utf-8", "-w", handle.name])
            if fallback.status == "ok" or result is None:
                result = fallback
    # Old documents typed in TCVN3 (ABC) or VNI come out as Latin-1 look-alikes; gateway.extract converts
    # them (legacy.py) for every reader.
    return result or Reading("broken", detail="no converter ran")


def _run(command: list[str]) -> Reading:
    """Run one converter; its stdout is the text, a non-zero exit or a timeout makes the file "broken"."""
    env = {**os.environ, "HOME": os.environ.get("HOME", tempfile.gettempdir()), "LC_ALL": "C.UTF-8"}
    name = os.path.basename(command[0])
    try:
        done = subprocess.run(command, capture_output=True, timeout=TIMEOUT_SECONDS, env=env, check=False)
    except subprocess.TimeoutExpired:
        return Reading("broken", detail=f"{name} took longer than {TIMEOUT_SECONDS} s")
    except OSError as err:
        return Reading("broken", detail=f"{name} could not be run: {err}")
    message = done.stderr.decode("utf-8", "replace").replace(command[-1], "the file").strip().splitlines()
    if done.returncode != 0:
        reason = message[-1] if message else f"exit status {done.returncode}"
        if "encrypt" in reason.lower() or "password" in reason.lower():
            return Reading("encrypted", detail=f"{name}: {reason}")
        return Reading("broken", detail=f"{name}: {reason}")
    text = done.stdout.decode("utf-8", "replace").replace("\r\n", "\n")
    return from_text(nfc(text).strip())
