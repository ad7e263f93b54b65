"""Vietnamese syllables that only stand in words of two or more ("thụ" in "thụ lý", "cảm thụ"), and those words:
a syllable of OCR's prose that stands in no word with its neighbours was misread ("thụ tục" for "thủ tục")."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

from gateway.core.text import exact_key

TABLE = Path(__file__).with_name("compounds.json")  # made by scripts/compounds.py from pyvi's word list (MIT)
_LONGEST = 4  # syllables of the longest word kept
_TOKEN = re.compile(r"[^\W\d_]+|\S")  # a run of letters, or one other character (a comma breaks a word)


@functools.lru_cache(maxsize=1)
def _table() -> tuple[frozenset[str], frozenset[str]]:
    data = json.loads(TABLE.read_text(encoding="utf-8"))
    return frozenset(data["bound"]), frozenset(data["words"])


def unpaired(text: str) -> list[str]:
    """The syllables of ``text`` that stand in no word alone nor in one with the syllables beside them ("thụ" in
    "Đơn giản hóa thụ tục hành chính"). A capitalised syllable after the first is a name's, and is not looked at."""
    bound, words = _table()
    tokens = _TOKEN.findall(text)
    keys = [exact_key(token) for token in tokens]
    found = []
    for index, token in enumerate(tokens):
        if keys[index] not in bound or index and not token.islower():
            continue
        spans = ((start, end) for start in range(max(0, index - _LONGEST + 1), index + 1)
                 for end in range(max(index + 1, start + 2), min(len(keys), start + _LONGEST) + 1))
        if not any(" ".join(keys[start:end]) in words for start, end in spans):
            found.append(token)
    return found
