"""Splits capitalised words OCR glued together ("SỞCÔNGTHƯƠNG", "TỈNHLÀO") into their Vietnamese syllables."""

from __future__ import annotations

import functools
import re
import unicodedata

from gateway.core.text import fold
from gateway.understand import vocab

# A syllable, folded: onset, vowel group, final consonant. Loose (it admits some syllables no one writes) but
# a run of capitals that is no ký hiệu splits into syllables one way, and a ký hiệu ("SLĐTBXH") in none.
_SYLLABLE = re.compile(
    r"(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|b|c|d|g|h|k|l|m|n|p|r|s|t|v|x)?"
    r"(uye|uya|uyu|uoi|uou|oai|oay|oao|oeo|uay|yeu|ieu|"
    r"ai|ao|au|ay|eo|eu|ia|ie|iu|oa|oe|oi|oo|ua|ue|ui|uo|uu|uy|ye|a|e|i|o|u|y)"
    r"(ch|ng|nh|c|k|m|n|p|t)?"  # "k": the Central Highlands' names ("ĐẮK LẮK", "KRÔNG BÚK")
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


_LETTERS = re.compile(r"[^\W\d_]+")


def is_word(word: str) -> bool:
    """True for a word as written ("Tuấn", "TỈNH") that is letters only and one Vietnamese syllable."""
    return _LETTERS.fullmatch(word) is not None and is_syllable(fold(word))


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


_VOWELS = "aeiouy"
_WORD = re.compile(r"[^\W\d_]+")


def _marks(char: str) -> int:
    return len(unicodedata.normalize("NFD", char)) - 1


def undouble(word: str) -> str:
    """``word`` with a vowel OCR read twice ("TỔỐNG", "MIÊỀN") read once, when that makes a known syllable.

    Two letters in a row that fold to the same vowel and a word that is no known syllable: the one with more
    marks stays (the second on a tie is dropped); the tones are left to tones.retone.
    """
    folded = fold(word).lower()
    if len(folded) != len(word):
        return word
    known = _known()
    if folded in known:
        return word
    for at in range(len(folded) - 1):
        if folded[at] in _VOWELS and folded[at] == folded[at + 1]:
            drop = at + 1 if _marks(word[at]) >= _marks(word[at + 1]) else at
            again = word[:drop] + word[drop + 1:]
            if fold(again).lower() in known:
                return again
    return word


def undouble_line(line: str) -> str:
    """``line`` with each doubled vowel read once (undouble), also across the one space OCR may put between the
    two readings of a capital ("MIÊ ỀN"; not where either piece is a known syllable: "HÒA AN" stays)."""
    words = list(_WORD.finditer(line))
    out: list[str] = []
    last = index = 0
    while index < len(words):
        word = words[index]
        text, end = undouble(word.group()), word.end()
        after = words[index + 1] if index + 1 < len(words) else None
        if (after is not None and line[word.end():after.start()] == " " and word.group().isupper()
                and after.group().isupper() and fold(after.group())[:1] in _VOWELS
                and fold(after.group())[:1] == fold(word.group())[-1:]
                and not {fold(word.group()).lower(), fold(after.group()).lower()} & _known()):
            joined = undouble(word.group() + after.group())
            if joined != word.group() + after.group():
                text, end = joined, after.end()
                index += 1
        out.append(line[last:word.start()] + text)
        last = end
        index += 1
    out.append(line[last:])
    return "".join(out)


def unglue(line: str) -> str:
    """``line`` with each glued run of capitals cut into its syllables."""
    return _GLUED.sub(lambda m: " ".join(split(m.group())), line)
