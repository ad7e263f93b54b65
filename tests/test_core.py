"""The shared rules of gateway.core: domain matching, the header/body boundary, control characters, durable files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gateway.core.domains import domain_matches, domain_of, matches_any
from gateway.core.durable import publish, write_new
from gateway.core.rfc822 import head_end, split_head
from gateway.core.text import clean_line, clean_text


@pytest.mark.parametrize(
    ("domain", "pattern", "expected"),
    [
        ("gov.vn", "*.gov.vn", True),  # the pattern's own domain: the sender and receipt checks agree on it
        ("hanoi.gov.vn", "*.gov.vn", True),
        ("sct.hanoi.gov.vn", "*.gov.vn", True),
        ("HaNoi.Gov.VN.", "*.gov.vn", True),
        ("gov.vn.evil.example", "*.gov.vn", False),
        ("evilgov.vn", "*.gov.vn", False),
        ("moit.gov.vn", "moit.gov.vn", True),
        ("sub.moit.gov.vn", "moit.gov.vn", False),
        ("anything.example", "*", True),
        ("", "*", False),
        ("gmail.com", "", False),
    ],
)
def test_one_domain_rule(domain: str, pattern: str, expected: bool) -> None:
    assert domain_matches(domain, pattern) is expected


def test_domain_of_and_matches_any() -> None:
    assert domain_of("Van Thu <VanThu@SCT.HaNoi.gov.vn>".split("<")[1].rstrip(">")) == "sct.hanoi.gov.vn"
    assert domain_of("no-at-sign") == ""
    assert matches_any("gov.vn", ["*.example", "*.gov.vn"])
    assert not matches_any("gmail.com", ["*.gov.vn"])


def test_the_receipt_rule_and_the_sender_rule_agree_on_the_bare_domain() -> None:
    from gateway.core.config import TrustConfig
    from gateway.routing.allow import receipt_allowed
    from gateway.trust.policy import domain_action

    trust = TrustConfig(allowed_domains=("*.gov.vn",))
    assert domain_action("gov.vn", trust) == "accept"
    assert receipt_allowed("vanthu@gov.vn", ("*.gov.vn",))


@pytest.mark.parametrize(
    ("raw", "head", "body"),
    [
        (b"A: 1\r\nB: 2\r\n\r\nbody\r\n\r\nmore", b"A: 1\r\nB: 2", b"body\r\n\r\nmore"),
        (b"A: 1\nB: 2\n\nbody\n\nmore", b"A: 1\nB: 2", b"body\n\nmore"),
        (b"A: 1\r\nB: 2\n\nbody", b"A: 1\r\nB: 2", b"body"),  # mixed line ends: the first empty line counts
        (b"A: 1\nB: 2\n\nbody\r\n\r\nx", b"A: 1\nB: 2", b"body\r\n\r\nx"),
        (b"A: 1\r\nB: 2", b"A: 1\r\nB: 2", b""),
        (b"\r\nbody only", b"", b"body only"),
    ],
)
def test_split_head(raw: bytes, head: bytes, body: bytes) -> None:
    assert split_head(raw) == (head, body)


def test_head_end_looks_no_further_than_asked() -> None:
    raw = b"A: " + b"x" * 100 + b"\r\n\r\nbody"
    assert head_end(raw, 50) == (50, 50)
    assert head_end(raw) == (103, 107)


def test_clean_text_keeps_lines_tabs_and_page_breaks() -> None:
    dirty = "a\r\nb\rc\u2028d\te\ff\x00g\x1bh\x9fi\u202ej\ud800k"
    assert clean_text(dirty) == "a\nb\nc\nd\te\ffghijk"
    assert clean_text("Hoa\u0300") == "Hoà"  # NFC


def test_clean_line_makes_one_line() -> None:
    assert clean_line("Subject\r\n text\nBcc: x") == "Subject  text Bcc: x"
    assert clean_line("a\u2028b\u0085c\x00d\x1b[31me") == "a b cd[31me"
    assert clean_line("Ti\u0065\u0302u \u0111\u1ec1") == "Tiêu đề"


def test_publish_writes_whole_files_or_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out" / "file"
    target.parent.mkdir()
    publish(tmp_path / "tmp", target, b"one ", b"two")
    assert target.read_bytes() == b"one two"
    assert not (tmp_path / "tmp").exists()
    write_new(tmp_path / "taken", b"x")
    with pytest.raises(FileExistsError):
        write_new(tmp_path / "taken", b"y")
    with pytest.raises(OSError):
        publish(tmp_path / "tmp2", tmp_path / "missing-folder" / "file", b"z")
    assert not (tmp_path / "tmp2").exists()
    assert oct(os.stat(target).st_mode & 0o777) == "0o640"
