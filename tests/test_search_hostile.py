"""NUL and other control characters in every search input (API, pages, CLI), on both backends: each is
answered, and no response ever carries SQL, not even when the database itself fails."""

from __future__ import annotations

import logging
import warnings

import pytest
from click.testing import CliRunner

warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
from fastapi.testclient import TestClient  # noqa: E402
from web_support import build_corpus, login, web_config  # noqa: E402

from gateway.cli import main  # noqa: E402
from gateway.register.query import SearchQuery  # noqa: E402
from gateway.web.app import create_app  # noqa: E402

HOSTILE = ["a\x00b", "\x00", "công\x00 văn", "x\x1b[2J", "\u202egiao ban"]
SQL_MARKS = ("SELECT", "[SQL", "parameters", "LIKE", "psycopg", "sqlite3")


@pytest.fixture(params=["sqlite", "postgresql"])
def corpus(request, tmp_path):
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else ""
    built = build_corpus(web_config(tmp_path, url))
    yield built
    built.register.close()


def _clean(text: str) -> None:
    for mark in SQL_MARKS:
        assert mark not in text, f"{mark!r} in a response: {text[:500]}"


def test_search_query_drops_control_characters_once_for_every_edge():
    query = SearchQuery(text="công\x00 văn\x07", sender="a\x00@b\u202e")
    assert query.text == "công văn" and query.sender == "a@b"


def test_api_pages_and_cli_answer_nul_in_every_search_field(corpus):
    client = TestClient(create_app(corpus.config, corpus.register, corpus.spool))
    headers = {"Authorization": f"Bearer {corpus.tokens['vanthu']}"}
    for value in HOSTILE:
        for field in ("q", "sender"):
            response = client.get("/api/v1/documents", params={field: value}, headers=headers)
            assert response.status_code == 200, response.text
            _clean(response.text)
    plain = client.get("/api/v1/documents", params={"q": "giao ban"}, headers=headers).json()["total"]
    with_nul = client.get("/api/v1/documents", params={"q": "giao\x00 ban"}, headers=headers).json()["total"]
    assert plain and with_nul == plain
    login(client, "vanthu")
    for value in HOSTILE:
        for field in ("q", "sender"):
            page = client.get("/register", params={field: value})
            assert page.status_code == 200, page.text[:500]
            _clean(page.text)
    options = ["--data-dir", str(corpus.config.data_dir), "--database", corpus.config.database_url]
    for value in HOSTILE:
        for args in (["search", value], ["search", "--sender", value, "giao"]):
            result = CliRunner().invoke(main, [*options, *args, "--json"])
            assert result.exit_code == 0, result.output
            _clean(result.output)


def test_a_failing_database_answers_503_without_sql_and_logs_it(corpus, caplog):
    client = TestClient(create_app(corpus.config, corpus.register, corpus.spool))
    headers = {"Authorization": f"Bearer {corpus.tokens['vanthu']}"}
    with corpus.register.engine.begin() as conn:  # the index goes away under the running web server
        conn.exec_driver_sql("DROP TABLE search_index")
    with caplog.at_level(logging.WARNING):
        response = client.get("/api/v1/documents", params={"q": "giao ban"}, headers=headers)
    assert response.status_code == 503
    _clean(response.text)
    assert "Sổ đăng ký" in response.json()["detail"]
    assert any("search_index" in record.getMessage() for record in caplog.records)  # the sysadmin still sees it
    login(client, "vanthu")
    page = client.get("/register", params={"q": "giao ban"})
    assert page.status_code == 503
    _clean(page.text)
    result = CliRunner().invoke(main, ["--data-dir", str(corpus.config.data_dir), "--database",
                                       corpus.config.database_url, "search", "giao"])
    assert result.exit_code == 1 and "register read failed" in result.output
    _clean(result.output)
