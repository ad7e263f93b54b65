"""Search shortcuts at scale keep their answers: date ranges as id ranges, the exact mark on sorted pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from test_register_support import BACKENDS, make_arrival, register_on

from gateway.register.query import SearchQuery
from gateway.register.service import Register

UTC = dt.timezone.utc


def _at(month: int, day: int) -> dt.datetime:
    return dt.datetime(2026, month, day, 3, 0, tzinfo=UTC)


# Registered in this order, so "late" (arrived in March, registered last) has the highest id but an early date.
DOCS = {
    "april": dict(subject="Thuê văn phòng", body="hợp đồng thuê", received_at=_at(4, 20)),
    "tax": dict(subject="Nộp thuế", body="thuế thu nhập", received_at=_at(4, 21)),
    "may": dict(subject="Thuê kho", body="thuê kho bãi", received_at=_at(5, 10)),
    "late": dict(subject="Thuê xe", body="thuê xe công vụ", received_at=_at(3, 2)),
}


@pytest.fixture(scope="module", params=BACKENDS)
def corpus(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Register, dict]]:
    with register_on(request.param, tmp_path_factory.mktemp(request.param)) as reg:
        ids = {key: reg.register_arrival(make_arrival(key, **kw)).document_id for key, kw in DOCS.items()}
        yield reg, ids


def _found(corpus, **query) -> tuple[list[str], int]:
    reg, ids = corpus
    by_id = {v: k for k, v in ids.items()}
    q = SearchQuery(**query)
    return [by_id[h.document_id] for h in reg.search(q)], reg.count_search(q)


def test_ids_out_of_date_order_are_registered(corpus) -> None:
    _reg, ids = corpus
    assert ids["late"] > ids["may"] > ids["april"]


def test_date_range_with_text_finds_documents_registered_out_of_order(corpus) -> None:
    assert _found(corpus, text="thue", date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 3, 31)) == (["late"], 1)
    hits, total = _found(corpus, text="thue", date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 4, 30), sort="-id")
    assert (hits, total) == (["late", "tax", "april"], 3)
    assert _found(corpus, text="thuê", date_from=dt.date(2026, 4, 21))[1] == 2  # "tax" (thuế folds to thue) and "may"
    assert _found(corpus, text="thue", date_to=dt.date(2026, 4, 20), sort="id") == (["april", "late"], 2)


def test_date_range_without_documents(corpus) -> None:
    assert _found(corpus, text="thue", date_from=dt.date(2026, 6, 1)) == ([], 0)
    assert _found(corpus, text="thue", date_from=dt.date(2026, 4, 22), date_to=dt.date(2026, 5, 9)) == ([], 0)
    assert _found(corpus, text="thue", date_from=dt.date(2026, 5, 1), date_to=dt.date(2026, 4, 1)) == ([], 0)


def test_long_date_range_is_still_filtered(corpus) -> None:
    hits, total = _found(corpus, text="thue", date_from=dt.date(2020, 1, 1), date_to=dt.date(2026, 4, 20), sort="id")
    assert (hits, total) == (["april", "late"], 2)


def test_exact_mark_on_a_sorted_page(corpus) -> None:
    reg, ids = corpus
    for sort in ("-id", "id", "subject"):
        marks = {h.document_id: h.exact for h in reg.search(SearchQuery(text="thuê", sort=sort))}
        assert marks == {ids["april"]: True, ids["may"]: True, ids["late"]: True, ids["tax"]: False}, sort
    relevance = reg.search(SearchQuery(text="thuế"))
    assert [(h.document_id, h.exact) for h in relevance][0] == (ids["tax"], True)


def test_newest_first_pages_one_by_one(corpus) -> None:
    """Small pages newest first come from the newest ids alone on PostgreSQL; each must be the true page."""
    reg, ids = corpus
    by_id = {v: k for k, v in ids.items()}
    expected = ["late", "may", "tax", "april"]
    pages = [[by_id[h.document_id] for h in reg.search(SearchQuery(text="thue", sort="-id", limit=1, offset=k))]
             for k in range(5)]
    assert pages == [[key] for key in expected] + [[]]
    march_to_may = SearchQuery(text="thue", sort="-id", limit=1, offset=1,
                               date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 4, 30))
    assert [by_id[h.document_id] for h in reg.search(march_to_may)] == ["tax"]
