"""Splits capitalised words OCR glued together ("SỞCÔNGTHƯƠNG", "TỈNHLÀO") into their Vietnamese syllables."""

from __future__ import annotations

import functools
import re

from gateway.core.text import fold
from gateway.understand import vocab

# A syllable, folded: onset, vowel group, final consonant. Loose (it admits some syllables no one writes) but
# a run of capitals that is no ký hiệu splits into syllables one way, and a ký hiệu ("SLĐTBXH") in none.
_SYLLABLE = re.compile(
    r"(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|b|c|d|g|h|k|l|m|n|p|r|s|t|v|x)?"
    r"(uye|uya|uyu|uoi|uou|oai|oay|oao|oeo|uay|yeu|ieu|"
    r"ai|ao|au|ay|eo|eu|ia|ie|iu|oa|oe|oi|oo|ua|ue|ui|uo|uu|uy|ye|a|e|i|o|u|y)"
    r"(ch|ng|nh|c|m|n|p|t)?"
)
_GLUED = re.compile(r"[^\W\d_]{4,}")


@functools.lru_cache(maxsize=1)
def _known() -> frozenset[str]:
    """Folded syllables of the reader's own vocabulary: among splits of one run, those made of them win."""
    words: set[str] = set()
    for phrase in (*vocab.LEXICON, *vocab.PHRASES, *vocab.ORGAN_HEADS, *vocab.NAME_CONTINUATIONS,
                   *vocab.OFFICE_WORDS, *vocab.SURNAMES, *vocab.GIVEN_NAMES, *(n for n, _ in vocab.TYPES)):
        words.update(re.findall(r"[a-z]+", fold(phrase).lower()))
    return frozenset(words)


def is_syllable(folded: str) -> bool:
    return _SYLLABLE.fullmatch(folded) is not None


def split(word: str) -> list[str]:
    """``word`` cut into syllables when it is capitals that are no one syllable and split into syllables; else [word].

    Of the possible cuts the one with the fewest syllables wins, then the one with most known syllables,
    then the one whose syllables start with a consonant ("BATƠ" is "BA TƠ", not "BAT Ơ").
    """
    folded = fold(word).lower()
    if not word.isupper() or len(folded) != len(word) or is_syllable(folded):
        return [word]
    known = _known()
    # best[i]: the best (score, cut points) for folded[:i]
    best: list[tuple[tuple[int, int, int], tuple[int, ...]] | None] = [None] * (len(folded) + 1)
    best[0] = ((0, 0, 0), ())
    for end in range(1, len(folded) + 1):
        for start in range(max(0, end - 7), end):
            if best[start] is None or not is_syllable(folded[start:end]):
                continue
            piece = folded[start:end]
            (n, k, o), cuts = best[start]
            score = (n - 1, k + (piece in known), o + (piece[0] not in "aeiouy"))
            if best[end] is None or score > best[end][0]:
                best[end] = (score, cuts + (end,))
    if best[-1] is None:
        return [word]
    points = (0, *best[-1][1])
    return [word[a:b] for a, b in zip(points, points[1:])]


def unglue(line: str) -> str:
    """``line`` with each glued run of capitals cut into its syllables."""
    return _GLUED.sub(lambda m: " ".join(split(m.group())), line)
