"""Vietnamese text normalisation: NFC on the way in, one tone placement, and a diacritic-free fold for matching."""

from __future__ import annotations

import re
import unicodedata

# The five tone marks as combining characters (NFD); the other combining marks (circumflex, breve, horn)
# belong to the vowel letter itself.
TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"
_TONE_SET = frozenset(TONE_MARKS)
_WORD = re.compile(r"\w+")
# Open syllables whose tone may sit on either vowel ("hoà"/"hòa", "uỷ"/"ủy", "khoẻ"/"khỏe"): both spellings
# are in use; we put the tone on the first vowel. With a final consonant ("hoàng", "tuyết") there is one
# correct place, so such words are left alone. "qu" + y ("quý") is not this case: the u is part of the consonant.
_MOVABLE = re.compile(r"(?<![q])(o)(a|e)$|(?<![q])(u)(y)$")


def nfc(text: str) -> str:
    """Text in Unicode NFC, as everything is stored."""
    return unicodedata.normalize("NFC", text)


def _canonical_word(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    tones = [ch for ch in decomposed if ch in _TONE_SET]
    if len(tones) != 1:
        return word
    bare = "".join(ch for ch in decomposed if ch not in _TONE_SET)
    base_letters = "".join(ch for ch in bare if not unicodedata.combining(ch))
    match = _MOVABLE.search(base_letters.lower())
    if not match:
        return word
    first_vowel_at = match.start(1) if match.group(1) else match.start(3)
    # Find the position in `bare` just after the first vowel of the pair and its own combining marks.
    letter_index = -1
    out = []
    inserted = False
    for ch in bare:
        if not unicodedata.combining(ch):
            if letter_index == first_vowel_at and not inserted:
                out.append(tones[0])
                inserted = True
            letter_index += 1
        out.append(ch)
    if not inserted:
        out.append(tones[0])
    return unicodedata.normalize("NFC", "".join(out))


def canonical_tones(text: str) -> str:
    """NFC text with the tone of open oa/oe/uy syllables on the first vowel: "hoà" → "hòa", "uỷ" → "ủy"."""
    return _WORD.sub(lambda m: _canonical_word(m.group(0)), nfc(text))


def exact_key(text: str) -> str:
    """Lower-case, NFC, canonical tone placement: equal for "Hoà" and "hòa", different for "thuê" and "thuế"."""
    return canonical_tones(nfc(text).lower())


def fold(text: str) -> str:
    """Lower-case with every diacritic removed and đ → d: "Đà Nẵng" → "da nang"."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped.replace("đ", "d"))


def has_diacritics(text: str) -> bool:
    """True when folding would change the lower-cased text (it carries Vietnamese marks or đ)."""
    return fold(text) != nfc(text).lower()
