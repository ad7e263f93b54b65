"""Vietnamese text typed in the legacy 8-bit encodings TCVN3 (ABC, .VnTime fonts) and VNI, found and made Unicode.

Such text reaches us as Latin-1 look-alikes ("Céng hoµ x· héi", "Coäng hoøa xaõ hoäi"): the bytes were
meant for a font that drew Vietnamese letters in their place.
"""

from __future__ import annotations

import re

from gateway.core.text import nfc

# TCVN 5712:1993 VN3 (the ABC keyboard's table), from glibc's TCVN5712-1 for the byte values VN3 uses.
_TCVN3_FROM = "¡¢£¤¥¦§¨©ª«¬\xad®µ¶·¸¹»¼½¾ÆÇÈÉÊËÌÎÏÐÑÒÓÔÕÖ×ØÜÝÞßáâãäåæçèéêëìíîïñòóôõö÷øùúûüýþ"
_TCVN3_TO = "ĂÂÊÔƠƯĐăâêôơưđàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ"
_TCVN3 = str.maketrans(_TCVN3_FROM, _TCVN3_TO)
# Symbols that stand for the commonest letters in TCVN3 (à ả ã á ạ â ê ô ơ đ Đ …) and are rare in any
# language's real text; German ä ö ü or Spanish ñ alone must not look like TCVN3.
_TCVN3_MARKERS = re.compile("[¡¢£¤¥¦§¨©ª«¬®µ¶·¸¹»¼½¾×÷]")
_LETTER = re.compile(r"[^\W\d_]")

# VNI Windows: a base letter followed by a mark character (two characters for one letter).
_VNI_TONES = {"ø": "\u0300", "ù": "\u0301", "û": "\u0309", "õ": "\u0303", "ï": "\u0323"}
_VNI_HAT_TONES = {"à": "\u0300", "á": "\u0301", "å": "\u0309", "ã": "\u0303", "ä": "\u0323"}  # â/ê/ô + tone
_VNI_BREVE_TONES = {"è": "\u0300", "é": "\u0301", "ú": "\u0309", "ü": "\u0303", "ë": "\u0323"}  # ă + tone
_VNI_SINGLE = {"ì": "ì", "í": "í", "æ": "ỉ", "ó": "ĩ", "ò": "ị", "î": "ỵ", "ñ": "đ", "ô": "ơ", "ö": "ư",
               "Ì": "Ì", "Í": "Í", "Æ": "Ỉ", "Ó": "Ĩ", "Ò": "Ị", "Î": "Ỵ", "Ñ": "Đ", "Ô": "Ơ", "Ö": "Ư"}


def _vni_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for upper in (False, True):
        def case(s: str) -> str:
            return s.upper() if upper else s

        for base in "aeiouy" + "ơư":
            for mark, tone in _VNI_TONES.items():
                table[case(base) + case(mark)] = nfc(case(base) + tone)
        for base in "aeo":
            table[case(base) + case("â")] = nfc(case(base) + "\u0302")
            for mark, tone in _VNI_HAT_TONES.items():
                table[case(base) + case(mark)] = nfc(case(base) + "\u0302" + tone)
        table[case("a") + case("ê")] = case("ă")
        for mark, tone in _VNI_BREVE_TONES.items():
            table[case("a") + case(mark)] = nfc(case("a") + "\u0306" + tone)
    return table


_VNI_PAIRS = _vni_table()
# ơ and ư are one character in VNI (ô, ö) and may carry a tone mark after them: handle them first.
_VNI_PAIR_RE = re.compile("|".join(sorted((re.escape(k) for k in _VNI_PAIRS), key=len, reverse=True)))
_VNI_SIGNS = re.compile(r"[aeiouyAEIOUY][øùûõïØÙÛÕÏ]|[aeoAEO][äåÄÅ]|[aA][èéúüëÈÉÚÜË]")
_VIETNAMESE_UNICODE = re.compile("[ăĂđĐơƠưƯ\u1ea0-\u1ef9]")


def detect(text: str) -> str:
    """"tcvn3", "vni" or "" (Unicode or not Vietnamese) for a piece of extracted text."""
    sample = text[:20000]
    if sample.isascii():
        return ""
    vietnamese = len(_VIETNAMESE_UNICODE.findall(sample))
    if vietnamese > len(sample) * 0.02:  # there are no more letters than characters: Unicode Vietnamese, no count
        return ""
    letters = len(_LETTER.findall(sample))
    if letters < 20 or vietnamese > letters * 0.02:
        return ""
    vni = len(_VNI_SIGNS.findall(sample))
    tcvn3 = len(_TCVN3_MARKERS.findall(sample))
    if vni >= max(3, letters * 0.01) and vni >= tcvn3 * 0.5:
        return "vni"
    if tcvn3 >= max(3, letters * 0.01):
        return "tcvn3"
    return ""


def to_unicode(text: str, encoding: str) -> str:
    """The text in Unicode NFC, decoded from the legacy ``encoding`` ("tcvn3" or "vni")."""
    if encoding == "tcvn3":
        return nfc(text.translate(_TCVN3))
    if encoding == "vni":
        converted = _VNI_PAIR_RE.sub(lambda m: _VNI_PAIRS[m.group(0)], _vni_singles(text))
        return nfc(converted)
    return text


def _vni_singles(text: str) -> str:
    """ơ, ư, đ, ĩ … that VNI writes as one character; a tone after ơ/ư is joined in the second pass."""
    return "".join(_VNI_SINGLE.get(c, c) for c in text)


def convert(text: str) -> tuple[str, str]:
    """(Unicode text, the legacy encoding it was in or "")."""
    encoding = detect(text)
    return (to_unicode(text, encoding), encoding) if encoding else (text, "")
