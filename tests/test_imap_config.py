"""The [[imap.accounts]] configuration: parsing, validation and masking in `gateway config show`."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from gateway.cli import main
from gateway.core.config import load_config
from gateway.core.errors import ConfigError

ACCOUNT = """
[[imap.accounts]]
name = "{name}"
host = "{host}"
tls = "{tls}"
username = "vanthu@sct.example.gov.vn"
password_env = "GW_IMAP_PASSWORD"
{more}
"""


def _write(tmp_path, *accounts: str):
    path = tmp_path / "gateway.toml"
    path.write_text("".join(accounts), encoding="utf-8")
    return path


def _account(name="vanthu", host="127.0.0.1", tls="none", more=""):
    return ACCOUNT.format(name=name, host=host, tls=tls, more=more)


def test_accounts_are_read_with_defaults(tmp_path):
    config = load_config(_write(tmp_path, _account(), _account("hopthu", "imap.example.gov.vn", "implicit",
                                                               'folders = ["INBOX", "Công văn"]')))
    first, second = config.imap.accounts
    assert (first.name, first.folders, first.after_action, first.idle, first.effective_port) == (
        "vanthu", ("INBOX",), "seen", True, 143)
    assert second.folders == ("INBOX", "Công văn") and second.effective_port == 993


@pytest.mark.parametrize("host", ["mail.example.gov.vn", "10.0.0.5"])
def test_plaintext_is_refused_for_a_remote_host(tmp_path, host):
    with pytest.raises(ConfigError, match=r"imap.accounts\[vanthu\].tls.*loopback"):
        load_config(_write(tmp_path, _account(host=host)))


@pytest.mark.parametrize("more, message", [
    ('after_action = "archive"', "after_action"),
    ('after_action = "move:"', "after_action"),
    ('after_action = "keyword:a b"', "keyword"),
    ('tls = "ssl"', "tls must be one of"),
    ('poll_interval = 0', "poll_interval"),
    ('folders = []', "folders"),
    ('password_file = "/etc/pw"', "exactly one of password_file and password_env"),
    ('colour = "red"', "unknown key imap.accounts\\[0\\].colour"),
])
def test_bad_account_settings_name_the_key(tmp_path, more, message):
    text = _account(more=more).replace('tls = "none"\n', "") if more.startswith("tls") else _account(more=more)
    with pytest.raises(ConfigError, match=message):
        load_config(_write(tmp_path, text))


def test_account_names_are_unique(tmp_path):
    with pytest.raises(ConfigError, match="used twice"):
        load_config(_write(tmp_path, _account(), _account()))


def test_config_show_prints_accounts_without_secrets(tmp_path, monkeypatch):
    monkeypatch.setenv("GW_IMAP_PASSWORD", "mat-khau-bi-mat")
    path = _write(tmp_path, _account(more='after_action = "move:Đã nhận"'))
    result = CliRunner().invoke(main, ["--config", str(path), "config", "show"])
    assert result.exit_code == 0, result.output
    assert "[[imap.accounts]]" in result.output and 'after_action = "move:Đã nhận"' in result.output
    assert "mat-khau-bi-mat" not in result.output
