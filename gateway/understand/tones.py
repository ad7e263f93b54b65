"""Puts back the tones OCR got wrong in known administrative phrases and given names (and a typewriter's "l" read "t")."""

from __future__ import annotations

import functools
import re

from gateway.core.text import exact_key, fold
from gateway.understand import vocab

_WORD = re.compile(r"[^\W\d_]+")
_LONGEST = 4  # words in the longest phrase tried


@functools.lru_cache(maxsize=1)
def _phrases() -> dict[str, str]:
    by_fold: dict[str, str] = {}
    for phrase in vocab.PHRASES:
        key = " ".join(_WORD.findall(fold(phrase)))
        if key in by_fold and exact_key(by_fold[key]) != exact_key(phrase):
            raise ValueError(f"vocab.PHRASES: {phrase!r} and {by_fold[key]!r} fold alike")
        by_fold[key] = phrase
    return by_fold


@functools.lru_cache(maxsize=1)
def _names() -> tuple[frozenset[str], dict[str, str]]:
    known = frozenset(exact_key(n) for n in vocab.GIVEN_NAMES)
    first: dict[str, str] = {}
    for name in vocab.GIVEN_NAMES:
        first.setdefault(fold(name), name)
    return known, first


def _cased(right: str, like: str) -> str:
    if like.isupper() and len(like) > 1:
        return right.upper()
    if like[:1].isupper():
        return right[:1].upper() + right[1:]
    return right


_T_FOR_L = re.compile(r"t(?=[aeiouy])")  # "t" before a vowel: "th" and "tr" have no "l" to be read from


def _phrase(phrases: dict[str, str], folded: list[str]) -> str | None:
    """The known phrase of the folded words, or of them with one word's first "t" read as the "l" it was."""
    right = phrases.get(" ".join(folded))
    if right is not None:
        return right
    for at, word in enumerate(folded):
        if _T_FOR_L.match(word):
            right = phrases.get(" ".join([*folded[:at], "l" + word[1:], *folded[at + 1:]]))
            if right is not None:
                return right
    return None


def retone(text: str) -> str:
    """``text`` with each run of words that folds to a known phrase spelled as the phrase.

    The match is on the folded words, so only diacritics can change (tones, ô/ơ/â marks), and a word's first
    "t" that the phrase has as "l" (a typewriter's "l" reads as "t": "quản tý", "tàng nghề"); the longest
    phrase wins; case follows the text.
    """
    phrases = _phrases()
    words = list(_WORD.finditer(text))
    out: list[str] = []
    last = index = 0
    while index < len(words):
        for size in range(min(_LONGEST, len(words) - index), 1, -1):
            run = words[index:index + size]
            if any(text[a.end():b.start()] != " " for a, b in zip(run, run[1:])):
                continue  # the words of a phrase stand apart by one space, not by punctuation or a line
            right = _phrase(phrases, [fold(w.group()) for w in run])
            if right is None:
                continue
            right_words = _WORD.findall(right)
            if len(right_words) != size:
                continue
            for word, spelled in zip(run, right_words):
                out.append(text[last:word.start()])
                out.append(_cased(spelled, word.group()))
                last = word.end()
            index += size
            break
        else:
            index += 1
    out.append(text[last:])
    return "".join(out)


def retone_name(name: str) -> str:
    """A person's name whose given and middle names that are no known name take the commonest known tone."""
    known, first = _names()
    words = name.split()
    for index, word in enumerate(words[1:], start=1):
        if exact_key(word) in known:
            continue
        right = first.get(fold(word))
        if right is not None:
            words[index] = _cased(right, word)
    return " ".join(words)
