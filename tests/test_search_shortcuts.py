"""The shortcuts of a capped count and a newest-first page find exactly what the ordinary queries find.

PostgreSQL counts a common word (in a unit's scope or not) by testing the newest documents one by one; SQLite
walks a common sender's documents with the text's matches as the set, or for a newest-first page tests the
text's newest matches against the sender first. Their thresholds are lowered here so a
small register takes them, and every answer is compared with the one the shortcut-free path gives.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from test_register_support import BACKENDS, make_arrival, register_on

from gateway.register import search
from gateway.register.models import Assignment, Department
from gateway.register.query import SearchQuery
from gateway.register.service import Register

UTC = dt.timezone.utc
COMMON = "vanthu@sct.binhduong.gov.vn"
RARE = "vanphong@ubnd.hochiminh.gov.vn"
UNITS = ["KT", "TC", "VP"]


def _document(k: int) -> dict:
    """Document k: "kế hoạch" in 2 of 3, "ngập lụt" in 1 of 7, the common sender in 3 of 4, a unit each."""
    words = ["Kế hoạch" if k % 3 else "Báo cáo", "ngập lụt đô thị" if k % 7 == 0 else "đầu tư công"]
    return dict(subject=" ".join(words), body=f"văn bản số {k}", from_addr=RARE if k % 4 == 0 else COMMON,
                received_at=dt.datetime(2026, 3, 1, tzinfo=UTC) + dt.timedelta(hours=9 * k),
                secrecy=1 if k % 11 == 0 else 0)


@pytest.fixture(scope="module", params=BACKENDS)
def corpus(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Register]:
    with register_on(request.param, tmp_path_factory.mktemp(request.param)) as reg:
        ids = [reg.register_arrival(make_arrival(f"s{k}", **_document(k))).document_id for k in range(90)]
        with reg.engine.begin() as conn:
            conn.execute(sa.insert(Department.__table__),
                         [dict(code=c, name=c, mailbox="", active=True) for c in UNITS])
            conn.execute(sa.insert(Assignment.__table__), [
                dict(document_id=i, unit_code=UNITS[k % 3 if k % 5 else 0], role="lead", status="new",
                     assigned_at=dt.datetime(2026, 3, 1, tzinfo=UTC), assigned_by="gateway", updated_by="", note="")
                for k, i in enumerate(ids)])
        yield reg


QUERIES = [
    dict(text="ke hoach"),
    dict(text="kế hoạch"),
    dict(text='"ngập lụt đô thị"'),
    dict(text="ke hoach OR ngap lut"),
    dict(text="ke hoach", units=("KT",)),
    dict(text="kế hoạch", units=("KT",), include_secret=False),
    dict(text="ngap lut", units=("TC",), include_secret=False),
    dict(text="ke hoach", units=("KT", "TC")),
    dict(text="ke hoach", units=()),
    dict(text="khong co tu nay", units=("KT",)),
    dict(text="ke hoach", sender="binhduong"),
    dict(text="ke hoach", sender="BinhDuong.gov", units=("KT",), include_secret=False),
    dict(text="ngap lut", sender="binhduong"),
    dict(text="ke hoach", sender="hochiminh"),
    dict(text="ke hoach", sender="binhduong", date_from=dt.date(2026, 3, 10), date_to=dt.date(2026, 3, 20)),
    dict(text="ke hoach", sender="binhduong", date_from=dt.date(2027, 1, 1)),
    dict(text="khong co tu nay", sender="binhduong"),
]


def _answers(reg: Register) -> list:
    out = []
    for query in QUERIES:
        for cap in (1, 3, 7, 20, 1000):
            out.append(reg.count_search(SearchQuery(**query), cap=cap))
        out.append(reg.count_search(SearchQuery(**query)))
        for sort, offset, limit in (("", 0, 20), ("-id", 0, 5), ("-id", 4, 5), ("-id", 0, 200), ("id", 2, 5)):
            hits = reg.search(SearchQuery(**query, sort=sort, offset=offset, limit=limit))
            out.append([(h.document_id, h.exact) for h in hits])
        found = reg.search_page(SearchQuery(**query), cap=7, relevance_max=6)
        out.append((found.total, found.capped, found.order, [h.document_id for h in found.hits]))
    return out


def test_shortcuts_find_what_the_ordinary_queries_find(corpus, monkeypatch) -> None:
    reg = corpus
    taken = []
    if reg.engine.dialect.name == "postgresql":
        count_newest = search.PostgresSearcher._count_newest

        def spy(self, *args):
            result = count_newest(self, *args)
            taken.append(result is not None)
            return result
        newest_window = search.PostgresSearcher._newest_window

        def window_spy(self, *args):
            result = newest_window(self, *args)
            windows.append(result is not None)
            return result
        windows: list[bool] = []
        monkeypatch.setattr(search, "COUNT_PROBE", 5)
        monkeypatch.setattr(search, "COUNT_WINDOW_MAX", 40)
        monkeypatch.setattr(search, "WINDOW", 8)  # ids: the second, longer window is reached too
        monkeypatch.setattr(search, "WINDOW_MAX", 60)
        monkeypatch.setattr(search.PostgresSearcher, "_count_newest", spy)
        monkeypatch.setattr(search.PostgresSearcher, "_newest_window", window_spy)
        with_shortcuts = _answers(reg)
        assert any(windows) and not all(windows)
        monkeypatch.setattr(search.PostgresSearcher, "_count_newest", lambda *_args: None)
        monkeypatch.setattr(search.PostgresSearcher, "_newest_window", lambda *_args: None)
    else:
        common_sender = search.SqliteSearcher._common_sender

        def spy(self, *args):
            result = common_sender(self, *args)
            taken.append(result)
            return result
        monkeypatch.setattr(search, "COMMON_SENDER", 10)
        monkeypatch.setattr(search, "TEXT_WINDOW", 6)  # text matches: some pages fill there, others walk the sender
        monkeypatch.setattr(search.SqliteSearcher, "_common_sender", spy)
        with_shortcuts = _answers(reg)
        monkeypatch.setattr(search.SqliteSearcher, "_common_sender", lambda *_args: False)
    assert any(taken) and not all(taken)  # the shortcut was taken, and declined where it does not pay
    assert with_shortcuts == _answers(reg)


def test_shortcut_answers_by_hand(corpus, monkeypatch) -> None:
    """A few answers worked out from _document, so both paths are not wrong in the same way."""
    reg = corpus
    monkeypatch.setattr(search, "COUNT_PROBE", 5)
    monkeypatch.setattr(search, "COUNT_WINDOW_MAX", 40)
    monkeypatch.setattr(search, "COMMON_SENDER", 10)
    plan = [(k, _document(k)) for k in range(90)]
    ke_hoach = [k for k, doc in plan if k % 3 and not doc["secrecy"]]  # a secret document's text is not indexed
    in_kt = [k for k in ke_hoach if (k % 3 if k % 5 else 0) == 0]
    assert reg.count_search(SearchQuery(text="ke hoach"), cap=1000) == len(ke_hoach) == 54
    assert reg.count_search(SearchQuery(text="ke hoach"), cap=7) == 7
    assert reg.count_search(SearchQuery(text="ke hoach", units=("KT",)), cap=1000) == len(in_kt)
    common = [k for k in ke_hoach if k % 4]
    assert reg.count_search(SearchQuery(text="ke hoach", sender="binhduong"), cap=1000) == len(common)
    assert reg.count_search(SearchQuery(text="ke hoach", sender="binhduong"), cap=7) == 7
    newest = reg.search(SearchQuery(text="ke hoach", sender="binhduong", sort="-id", limit=3))
    ids = sorted((h.document_id for h in reg.search(SearchQuery(text="ke hoach", sender="binhduong", limit=500))),
                 reverse=True)
    assert [h.document_id for h in newest] == ids[:3] and len(ids) == len(common)
