"""The command line: import of .eml/mbox/Maildir, search and show, spool commands, config, exit codes."""

from __future__ import annotations

import json
import mailbox
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY

import pytest
from click.testing import CliRunner
from conftest import write_config
from docgen import make_pdf

from gateway.cli import main


def _message(number: int, subject: str, body: str = "Nội dung.", pdf_text: str | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = f"Văn thư <vt{number}@ubnd.example.gov.vn>"
    message["To"] = "vanthu@localhost"
    message["Subject"] = subject
    message["Message-ID"] = f"<cli-{number}@ubnd.example.gov.vn>"
    message.set_content(body)
    if pdf_text:
        message.add_attachment(make_pdf([pdf_text]), maintype="application", subtype="pdf",
                               filename=f"Công văn {number}.pdf")
    return message.as_bytes(policy=SMTP_POLICY)


@pytest.fixture
def cli(tmp_path):
    config = write_config(tmp_path, 2525)
    runner = CliRunner()

    def run(*args: str, code: int = 0, input: str | None = None):
        result = runner.invoke(main, ["--config", str(config), *args], input=input, catch_exceptions=False)
        assert result.exit_code == code, f"exit {result.exit_code}: {result.output}"
        return result

    return run


def test_import_eml_mbox_and_maildir_then_search_and_show(cli, tmp_path):
    eml = tmp_path / "one.eml"
    eml.write_bytes(_message(1, "Quyết định số 12/QĐ-UBND về việc hỗ trợ doanh nghiệp",
                             pdf_text="Hỗ trợ doanh nghiệp nhỏ và vừa"))
    box = mailbox.mbox(tmp_path / "archive.mbox")
    box.add(_message(2, "Công văn về việc thuê trụ sở"))
    box.add(_message(3, "Công văn về việc thuế giá trị gia tăng"))
    box.close()
    maildir = mailbox.Maildir(tmp_path / "Maildir")
    maildir.add(_message(4, "Thông báo của UBND tỉnh Hoà Bình"))
    maildir.close()

    result = cli("import", str(eml), str(tmp_path / "archive.mbox"), str(tmp_path / "Maildir"))
    assert result.output.count("vào sổ số đến") == 4
    assert "số đến 4/" in result.output

    again = cli("import", "--json", str(eml))
    assert json.loads(again.stdout.splitlines()[0])["outcome"] == "duplicate"

    hits = json.loads(cli("search", "--json", "thuê").stdout)["hits"]
    assert [h["subject"] for h in hits][0] == "Công văn về việc thuê trụ sở"
    assert len(hits) == 2  # "thuê" also finds "thuế", ranked after the exact word
    assert json.loads(cli("search", "--json", "hòa", "bình").stdout)["total"] == 1
    assert json.loads(cli("search", "--json", "doanh nghiệp nhỏ").stdout)["total"] == 1

    document_id = hits[0]["document_id"]
    shown = cli("show", str(document_id)).stdout
    assert "thuê trụ sở" in shown
    data = json.loads(cli("show", "--json", str(document_id)).stdout)
    assert data["message"]["message_id"] == "cli-2@ubnd.example.gov.vn"


def test_unparseable_import_goes_to_bad_and_can_be_requeued_and_purged(cli, tmp_path):
    junk = tmp_path / "junk.eml"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00 binary junk")
    result = cli("import", str(junk), code=1)
    assert "chuyển vào bad/" in result.output
    listing = json.loads(cli("spool", "list", "bad", "--json").stdout)
    assert len(listing) == 1 and listing[0]["reason"]
    spool_id = listing[0]["spool_id"]
    assert spool_id in cli("spool", "show", spool_id).stdout
    cli("spool", "requeue", spool_id)
    assert json.loads(cli("spool", "list", "incoming", "--json").stdout)[0]["spool_id"] == spool_id
    assert json.loads(cli("spool", "list", "bad", "--json").stdout) == []


def test_show_unknown_document_exits_4(cli):
    cli("db", "upgrade")
    result = cli("show", "999", code=4)
    assert "999" in result.output


def test_search_with_fts_syntax_and_unbalanced_quotes_is_not_an_error(cli, tmp_path):
    eml = tmp_path / "a.eml"
    eml.write_bytes(_message(7, "Báo cáo \"quý III\" năm 2026"))
    cli("import", str(eml))
    for query in ['"quý III', 'báo AND NOT cáo', "quý*", "NEAR(báo cáo)", "'; DROP TABLE documents; --", "col:x"]:
        cli("search", "--json", query)
    assert json.loads(cli("search", "--json", '"quý III').stdout)["total"] == 1


def test_config_errors_name_the_file_and_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[smtp]\nlisten = "127.0.0.1:2525"\nmax_mesage_size = 5\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(bad), "config", "check"])
    assert result.exit_code == 3
    assert str(bad) in result.output and "smtp.max_mesage_size" in result.output

    wrong_type = tmp_path / "type.toml"
    wrong_type.write_text('[smtp]\nmax_message_size = "big"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(wrong_type), "config", "check"])
    assert result.exit_code == 3 and "smtp.max_message_size phải là số nguyên" in result.output


def test_config_show_masks_the_database_password_and_applies_overrides(tmp_path):
    config = write_config(tmp_path, 2525, database_url="postgresql+psycopg://gw:s3cret@db.internal/register")
    result = CliRunner().invoke(main, ["--config", str(config), "--smtp-listen", "127.0.0.1:2626", "config", "show"])
    assert result.exit_code == 0, result.output
    assert "s3cret" not in result.output and "****" in result.output
    assert 'listen = "127.0.0.1:2626"' in result.output


def test_missing_config_file_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "nope.toml"), "config", "check"])
    assert result.exit_code in (2, 3)
    assert "nope.toml" in result.output
