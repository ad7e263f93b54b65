"""Vietnamese normalisation: NFC, one tone placement for oa/oe/uy, and the diacritic-free fold."""

from __future__ import annotations

import unicodedata

import pytest

from gateway.core.text import canonical_tones, exact_key, fold, has_diacritics, nfc


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("hoà", "hòa"), ("Hoà Bình", "Hòa Bình"), ("HOÀ", "HÒA"), ("uỷ ban", "ủy ban"), ("Uỷ", "Ủy"),
        ("thuỷ lợi", "thủy lợi"), ("khoẻ", "khỏe"), ("toà án", "tòa án"), ("hoạ sĩ", "họa sĩ"),
        # One correct place only, or not this kind of syllable: unchanged.
        ("hoàng", "hoàng"), ("tuyết", "tuyết"), ("quý", "quý"), ("quỷ", "quỷ"), ("khuỷu", "khuỷu"),
        ("thuế", "thuế"), ("hòa", "hòa"),
    ],
)
def test_canonical_tone_placement(written: str, canonical: str) -> None:
    assert canonical_tones(written) == canonical
    assert canonical_tones(unicodedata.normalize("NFD", written)) == canonical


def test_exact_key_keeps_distinct_words_apart_and_fold_merges_them() -> None:
    assert exact_key("Uỷ ban nhân dân tỉnh Hoà Bình") == exact_key("ủy ban nhân dân tỉnh hòa bình")
    assert exact_key("thuê") != exact_key("thuế")
    assert fold("thuê") == fold("thuế") == "thue"
    assert fold("Đà Nẵng") == "da nang"
    assert fold(unicodedata.normalize("NFD", "Điện lực")) == "dien luc"


def test_nfc_and_has_diacritics() -> None:
    decomposed = unicodedata.normalize("NFD", "bản")
    assert nfc(decomposed) == "bản" and len(nfc(decomposed)) == 3
    assert has_diacritics("điện") and has_diacritics("Đ")
    assert not has_diacritics("Dien Luc 2026")
