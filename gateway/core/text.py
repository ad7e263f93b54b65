"""Text on the way in: NFC, control characters out, one tone placement, and a diacritic-free fold for matching."""

from __future__ import annotations

import functools
import re
import unicodedata

# The five tone marks as combining characters (NFD); the other combining marks (circumflex, breve, horn)
# belong to the vowel letter itself.
TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"
# Open syllables whose tone may sit on either vowel ("hoà"/"hòa", "uỷ"/"ủy", "khoẻ"/"khỏe"): both spellings
# are in use; we put the tone on the first vowel. With a final consonant ("hoàng", "tuyết") there is one
# correct place, so such words are left alone. "qu" + y ("quý") is not this case: the u is part of the consonant.
_PAIRS = (("o", "a"), ("o", "e"), ("u", "y"))


def _tone_moves() -> dict[str, str]:
    """Every second-vowel spelling ("oà", "Uỷ", …) mapped to its first-vowel spelling ("òa", "Ủy", …)."""
    moves = {}
    for first, second in _PAIRS:
        for tone in TONE_MARKS:
            for a in (first, first.upper()):
                for b in (second, second.upper()):
                    old = unicodedata.normalize("NFC", a + b + tone)
                    moves[old] = unicodedata.normalize("NFC", a + tone + b)
    return moves


_TONE_MOVES = _tone_moves()
# The pair must end the word and must not follow a q (or a letter that makes it part of another vowel group).
_OLD_STYLE = re.compile(
    "(?<![qQ])(?:" + "|".join(sorted(_TONE_MOVES, key=len, reverse=True)) + r")(?!\w)"
)


def nfc(text: str) -> str:
    """Text in Unicode NFC, as everything is stored."""
    return unicodedata.normalize("NFC", text)


# What never belongs in stored text: C0 controls but tab, line breaks and form feed (a page break); DEL; C1
# controls; bidirectional embeddings, overrides and isolates (they reorder what a reader sees); lone
# surrogates left by broken decoding; the noncharacters U+FFFE and U+FFFF.
_INVISIBLE = "\x00-\x08\x0e-\x1f\x7f\x80-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff"
_LINE_BREAKS = "\n\x0b\x0c\r\x85\u2028\u2029"
UNSAFE_IN_LINE = re.compile(f"[{_INVISIBLE}{_LINE_BREAKS}]")
_REMOVED = re.compile(f"[{_INVISIBLE}]")
_OTHER_BREAKS = re.compile("\r\n?|[\x0b\x85\u2028\u2029]")
_BREAK_RUNS = re.compile(f"[{_LINE_BREAKS}]+")


def clean_text(text: str) -> str:
    """Multi-line text made safe to store: NFC, every line break a "\\n" (form feeds kept), controls removed."""
    return nfc(_REMOVED.sub("", _OTHER_BREAKS.sub("\n", text)))


def clean_line(text: str) -> str:
    """One-line text (a header, a name) made safe: NFC, each run of line breaks one space, controls removed."""
    return nfc(_REMOVED.sub("", _BREAK_RUNS.sub(" ", text)))


def canonical_tones(text: str) -> str:
    """NFC text with the tone of open oa/oe/uy syllables on the first vowel: "hoà" → "hòa", "uỷ" → "ủy"."""
    return _OLD_STYLE.sub(lambda m: _TONE_MOVES[m.group(0)], nfc(text))


def exact_key(text: str) -> str:
    """Lower-case, NFC, canonical tone placement: equal for "Hoà" and "hòa", different for "thuê" and "thuế"."""
    return canonical_tones(nfc(text).lower())


def _fold_table() -> dict[int, str]:
    """Each precomposed Latin letter with marks mapped to its bare letter, and đ/Đ to d/D."""
    table = {ord("đ"): "d", ord("Đ"): "D"}
    for code in (*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00)):
        bare = "".join(ch for ch in unicodedata.normalize("NFD", chr(code)) if not unicodedata.combining(ch))
        if bare != chr(code) and len(bare) == 1:
            table[code] = bare
    return table


_FOLD = _fold_table()
_COMBINING = re.compile("[\u0300-\u036f]")


def fold(text: str) -> str:
    """Lower-case with every diacritic removed and đ → d: "Đà Nẵng" → "da nang"."""
    if len(text) <= _FOLD_CACHED:  # a line: the field reader folds the same lines several times
        return _fold_line(text)
    return _fold(text)


def _fold(text: str) -> str:
    if text.isascii():  # nothing to remove: NFC and the table leave ASCII as it is
        return text.lower()
    return _COMBINING.sub("", unicodedata.normalize("NFC", text).lower().translate(_FOLD))


_FOLD_CACHED = 200  # characters: longer texts (a whole document's) are folded each time, never kept
_fold_line = functools.lru_cache(maxsize=8192)(_fold)


def has_diacritics(text: str) -> bool:
    """True when folding would change the lower-cased text (it carries Vietnamese marks or đ)."""
    return fold(text) != nfc(text).lower()


def vi_number(value: int) -> str:
    """A whole number with dots between thousands, as Vietnamese writes it (12.345)."""
    return f"{value:,}".replace(",", ".")
