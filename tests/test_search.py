"""Search on both backends: Vietnamese diacritics, NFD, tone placement, ranking, OR, phrases, hostile input, filters."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterator

import pytest
from test_register_support import BACKENDS, make_arrival, register_on

from gateway.register.query import SearchQuery, parse_query
from gateway.register.service import Register

UTC = dt.timezone.utc
HCM = "vanphong@ubnd.hochiminh.gov.vn"
DOCS = {
    "lease": dict(subject="Hợp đồng thuê nhà", body="Đề nghị thuê văn phòng làm việc"),
    "tax": dict(subject="Thông báo nộp thuế", body="Thuế thu nhập doanh nghiệp quý I"),
    "mediation": dict(subject="Quyết định", attachment_text="Về việc hoà giải tranh chấp đất đai"),
    "proxy": dict(subject="Giấy uỷ quyền", body="Uỷ quyền ký hợp đồng"),
    "storm": dict(subject="Kế hoạch phòng chống thiên tai", body="Bão tại Đà Nẵng", from_addr=HCM,
                  received_at=dt.datetime(2026, 4, 20, 3, 0, tzinfo=UTC)),
    "decision": dict(subject="Quyết định số 123/QĐ-UBND", body="ban hành quy chế",
                     fields={"code_number": "123", "code_notation": "QĐ-UBND"},
                     received_at=dt.datetime(2026, 4, 21, 3, 0, tzinfo=UTC)),
}


@pytest.fixture(scope="module", params=BACKENDS)
def corpus(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Register, dict]]:
    """A register holding DOCS, once per backend; yields it with the document id of each key."""
    with register_on(request.param, tmp_path_factory.mktemp(request.param)) as reg:
        ids = {key: reg.register_arrival(make_arrival(key, **kw)).document_id for key, kw in DOCS.items()}
        yield reg, ids


def found(corpus, text: str, **filters) -> list[str]:
    reg, ids = corpus
    by_id = {v: k for k, v in ids.items()}
    return [by_id[hit.document_id] for hit in reg.search(SearchQuery(text=text, **filters))]


def test_accented_query_ranks_exact_first(corpus) -> None:
    assert found(corpus, "thuê") == ["lease", "tax"]
    assert found(corpus, "thuế") == ["tax", "lease"]
    reg, ids = corpus
    hits = reg.search(SearchQuery(text="thuê"))
    assert [(h.document_id, h.exact) for h in hits] == [(ids["lease"], True), (ids["tax"], False)]


def test_unaccented_query_matches_both_equally(corpus) -> None:
    reg, _ = corpus
    assert sorted(found(corpus, "thue")) == ["lease", "tax"]
    assert all(h.exact for h in reg.search(SearchQuery(text="thue")))


def test_case_and_nfd_insensitive(corpus) -> None:
    assert found(corpus, "THUÊ") == ["lease", "tax"]
    assert found(corpus, unicodedata.normalize("NFD", "thuê")) == ["lease", "tax"]
    assert found(corpus, unicodedata.normalize("NFD", "ĐÀ NẴNG")) == ["storm"]
    assert found(corpus, "da nang") == ["storm"]


@pytest.mark.parametrize("text", ["hoà giải", "hòa giải", "hoa giai", "HOÀ GIẢI"])
def test_tone_placement_hoa(corpus, text: str) -> None:
    reg, ids = corpus
    hits = reg.search(SearchQuery(text=text))
    assert [(h.document_id, h.exact) for h in hits] == [(ids["mediation"], True)]


@pytest.mark.parametrize("text", ["uỷ quyền", "ủy quyền", "uy quyen"])
def test_tone_placement_uy(corpus, text: str) -> None:
    reg, ids = corpus
    assert [(h.document_id, h.exact) for h in reg.search(SearchQuery(text=text))] == [(ids["proxy"], True)]


def test_all_words_must_match(corpus) -> None:
    assert found(corpus, "thuê nhà") == ["lease"]
    assert found(corpus, "thuê thiên") == []


def test_or(corpus) -> None:
    assert sorted(found(corpus, "nhà OR thiên")) == ["lease", "storm"]
    assert sorted(found(corpus, "thuê nhà OR thiên tai")) == ["lease", "storm"]


def test_phrases(corpus) -> None:
    assert found(corpus, '"thuê nhà"') == ["lease"]
    assert found(corpus, '"nhà thuê"') == []
    assert found(corpus, '"hòa giải tranh chấp"') == ["mediation"]


def test_code_notation(corpus) -> None:
    assert found(corpus, "123/QĐ-UBND") == ["decision"]
    assert found(corpus, "qd-ubnd") == ["decision"]


@pytest.mark.parametrize(
    "text",
    [
        'thuê "nhà',
        'thuê nhà"',
        "thuê* nhà",
        "^thuê nhà",
        "(thuê) AND nhà",
        "thuê NEAR nhà",
        "thuê NOT nhà",
        '"thuê"" nhà"',
    ],
)
def test_fts_syntax_is_literal(corpus, text: str) -> None:
    assert found(corpus, text) == ["lease"]


@pytest.mark.parametrize("text", ["folded:thuê nhà", "exact : thuê nhà", "rank:thuê"])
def test_column_filters_are_plain_words(corpus, text: str) -> None:
    assert found(corpus, text) == []  # "folded", "exact", "rank" are just words no document contains
    assert found(corpus, text.split(":")[-1] + " " + "nhà") == ["lease"]


@pytest.mark.parametrize(
    "text",
    ["'; DROP TABLE documents; --", '" OR 1=1 --', "%", "_", "\\", "'", '"', "*", "NEAR(", ":", "a' || '", "€ ☃ 𝕏"],
)
def test_hostile_input_is_harmless(corpus, text: str) -> None:
    reg, ids = corpus
    reg.search(SearchQuery(text=text))
    reg.count_search(SearchQuery(text=text))
    assert reg.count_search(SearchQuery()) == len(ids)


def test_query_parser() -> None:
    parsed = parse_query('a "b c" OR d NOT "e')
    assert [[t.folded for t in group] for group in parsed.groups] == [[("a",), ("b", "c")], [("d",), ("e",)]]
    assert parse_query("OR OR").empty and parse_query("( * )").empty


def test_empty_text_lists_by_arrival_desc(corpus) -> None:
    reg, ids = corpus
    listed = found(corpus, "")
    assert listed[:2] == ["decision", "storm"]
    assert len(listed) == len(ids)
    assert all(not h.exact for h in reg.search(SearchQuery()))


def test_date_filters(corpus) -> None:
    assert found(corpus, "", date_from=dt.date(2026, 4, 1)) == ["decision", "storm"]
    assert found(corpus, "", date_from=dt.date(2026, 4, 20), date_to=dt.date(2026, 4, 20)) == ["storm"]
    assert found(corpus, "quyết định", date_to=dt.date(2026, 3, 31)) == ["mediation"]


def test_sender_filter(corpus) -> None:
    assert found(corpus, "", sender="hochiminh.gov.vn") == ["storm"]
    assert found(corpus, "", sender="@UBND.hochiminh.gov.vn") == ["storm"]
    assert found(corpus, "", sender="%") == []
    assert found(corpus, "thiên tai", sender="binhduong") == []


def test_number_and_year_filters(corpus) -> None:
    reg, ids = corpus
    number = reg.get_document(ids["proxy"]).arrival_number
    assert found(corpus, "", arrival_number=number, year=2026) == ["proxy"]
    assert found(corpus, "", year=2025) == []


def test_paging_and_count(corpus) -> None:
    reg, ids = corpus
    assert reg.count_search(SearchQuery(text="thue")) == 2
    assert len(reg.search(SearchQuery(limit=2))) == 2
    listing = found(corpus, "")
    assert found(corpus, "", limit=2, offset=1) == listing[1:3]
    assert found(corpus, "", limit=0) == listing[:1]  # the limit is clamped to at least one


def test_hit_fields(corpus) -> None:
    reg, ids = corpus
    (hit,) = reg.search(SearchQuery(text="bão", sender="hochiminh"))
    assert hit.sender == HCM and hit.subject == "Kế hoạch phòng chống thiên tai"
    assert hit.arrival_date == dt.date(2026, 4, 20) and hit.arrived_at.tzinfo is not None
    assert "Bão tại Đà Nẵng" in hit.snippet  # the snippet keeps the document's own case


def test_long_query_is_cut_not_refused(corpus) -> None:
    assert found(corpus, "thuê " * 1000) == ["lease", "tax"]
