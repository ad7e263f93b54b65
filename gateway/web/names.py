"""Agency names as the register list shows them: a configured short name, else a documented shortening rule."""

from __future__ import annotations

import re
from collections.abc import Iterable

from gateway.core.text import fold, nfc
from gateway.understand.vocab import LEXICON

# Leading words written as the abbreviation every văn thư uses.
PREFIXES = (("uy ban nhan dan", "UBND"), ("hoi dong nhan dan", "HĐND"))
# Administrative units, written in lower case inside a name ("Sở Công Thương tỉnh Quảng Ngãi").
UNIT_WORDS = ("thanh pho", "thi xa", "thi tran", "dac khu", "tinh", "huyen", "quan", "xa", "phuong")
SMALL_WORDS = ("và",)
_WORD = re.compile(r"\S+")
# The lexicon's spellings of several-word terms ("Tài chính", "Văn phòng"), longest first; its administrative
# units are left to UNIT_WORDS.
_TERMS = sorted(((fold(t), t) for t in LEXICON if " " in t and fold(t) not in UNIT_WORDS),
                key=lambda item: -len(item[0]))


class ShortNames:
    """Shortens agency names: ``explicit`` ("FULL NAME=SHORT" entries) first, then the rule when ``abbreviate``.

    The rule: a name written in capitals is put in normal case (each word capitalised, the terms of the
    reader's lexicon in their usual spelling, tỉnh / thành phố / huyện / quận / thị xã / xã / phường / thị trấn
    / đặc khu in lower case); then a leading "Ủy ban nhân dân" becomes "UBND" and "Hội đồng nhân dân" "HĐND".
    """

    def __init__(self, explicit: Iterable[str] = (), abbreviate: bool = True) -> None:
        self.explicit = {}
        for entry in explicit:
            full, _, short = entry.partition("=")
            self.explicit[_key(full)] = nfc(short.strip())
        self.abbreviate = abbreviate

    def __call__(self, name: str) -> str:
        name = nfc(name or "").strip()
        short = self.explicit.get(_key(name))
        if short is not None or not self.abbreviate or not name:
            return short if short is not None else name
        if name == name.upper() and name != name.lower():
            name = _normal_case(name)
        folded = fold(name)
        for prefix, abbreviation in PREFIXES:
            if folded == prefix or folded.startswith(prefix + " "):
                name = abbreviation + name[len(prefix):]
                break
        return name


def _key(name: str) -> str:
    return " ".join(fold(name).split())


def _normal_case(name: str) -> str:
    words = [w.capitalize() if w.lower() not in SMALL_WORDS else w.lower() for w in _WORD.findall(name.lower())]
    text = " ".join(words)
    folded = fold(text)  # same length as text: every letter of NFC Vietnamese is one code point either way
    for term_folded, term in _TERMS:
        for match in reversed(list(re.finditer(rf"(?<!\S){re.escape(term_folded)}(?!\S)", folded))):
            text = text[:match.start()] + term + text[match.end():]
    out, folded = text.split(" "), fold(text).split(" ")
    k = 1  # the first word is the body itself ("Xã", "Huyện" stay capitalised there)
    while k < len(out):
        for unit in UNIT_WORDS:
            size = unit.count(" ") + 1
            if " ".join(folded[k:k + size]) == unit:
                out[k:k + size] = [w.lower() for w in out[k:k + size]]
                k += size - 1
                break
        k += 1
    return " ".join(out)
