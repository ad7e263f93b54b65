"""Every word a person reads is Vietnamese: each page as each role (errors and refusals included), every template,
the CLI's human output (the văn thư's and the sysadmin's commands, every `--help`, click's usage errors) are
searched for known English words outside code and outside the data shown.

Values shown as they are (addresses, file names, ids, technical details) are marked translate="no" or sit in
<code>/<pre>; the corpus's own data (subjects, agency names) is taken out before the search.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from docgen import make_pdf
from web_support import (
    DOCS,
    REVIEW_SUBJECT,
    USERS,
    add_review_document,
    arrival,
    build_corpus,
    client_for,
    csrf_of,
    login,
    web_config,
)

from gateway.core.values import Envelope
from gateway.register.decisions import RoutingRecord, UnitShare
from gateway.register.outbox import QueuedMail
from gateway.spool import quarantine
from gateway.web.rendering import TEMPLATES

# English words an English-speaking developer would leave in a UI (not Vietnamese words: "in", "to", "may", "ban"
# and "sang" are Vietnamese and are not listed).
ENGLISH = set("""
the and of is are not none empty error errors failed fail pass only must cannot document documents file files user
users token tokens registered routed view search download preview export login logout manual normal text source
status done progress lead cooperate inform quarantine quarantined sender domain allowed policy limit reason
details detail received date subject size bytes attachment attachments signature signatures trusted untrusted
tampered unreadable queued sent sending spool requeued requeue release released delete deleted confirm confirmed
correct corrected field fields value unit role save submit cancel back next previous page with for from please
required invalid unknown missing should will this that here click open show loading true false null handled
assignment outbox forward receipt skipped withheld completed rules priority tags via envelope defects arrival
duplicate hint chained intact event events blob blobs shown found message messages mail attempts since deadline
overdue soon today new edit update remove add added disabled enabled revoked created label
usage options option commands command arguments argument exit version help default print try such check list run
problem problems account accounts never last waiting total success matched rule decision backup restored written
into sync watched unseen free writable loads answers clock disk database warn
""".split())
LOG_LINE = re.compile(r"(?m)^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ [A-Z]+ .*$")
SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")  # stored keys such as auth_source, spool_id


class _Visible(HTMLParser):
    """The text a person reads on a page: text and the title, placeholder and aria-label of elements, without
    <code>, <pre>, scripts and what is marked translate="no"."""

    SKIP = {"code", "pre", "script", "style"}
    VOID = {"input", "br", "img", "meta", "link", "col", "hr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in self.VOID:
            if not self._skipping:
                self.parts += [attributes.get(k) or "" for k in ("placeholder", "aria-label", "title")]
            return
        if self._skipping or tag in self.SKIP or attributes.get("translate") == "no":
            self._skipping.append(tag)
            return
        self.parts += [attributes.get(k) or "" for k in ("title", "aria-label", "label")]

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if self._skipping:
            self._skipping.pop()

    def handle_data(self, data):
        if not self._skipping:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return " ".join(parser.parts)


def english_in(text: str, data: list[str]) -> set[str]:
    """The known English words of ``text`` once the data strings are taken out."""
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, " ")
    # addresses, folder names ("bad/"), paths, links, config keys ("limits.max_parts")
    text = re.sub(r"\S+@\S+|\S*\w/(?!\w)|/\S+|https?://\S+|\b[a-z]+\.[a-z_]+\b", " ", text)
    words = {w.lower() for w in re.findall(r"[A-Za-z]+", text)}
    return (words & ENGLISH) | set(SNAKE.findall(text))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("vi")
    corpus = build_corpus(web_config(tmp))
    review = add_review_document(corpus)
    today = dt.datetime.now(corpus.register.timezone).date()
    routing = RoutingRecord(
        rules_version="2026-12", matched=({"rule": "cong-thuong", "file": "rules/sct.toml", "line": 3, "why": "",
                                           "actions": ["lead=KT", "inform=VP", "due_days=5", "forward=true"]},),
        lead="KT", cooperate=(), inform=("VP",), priority="normal", tags=("thuong-mai",),
        due=today + dt.timedelta(days=7), units=(UnitShare("KT", "lead", today + dt.timedelta(days=7)),
                                                 UnitShare("VP", "inform", None)),
        mail=(QueuedMail.new("forward", "kt@so.example.gov.vn", "so.example.gov.vn", "KT"),),
        forward_skipped=("VP",), receipt_withheld="ban@gmail.com")
    routed = corpus.register.register_arrival(dataclasses.replace(
        arrival("dinh-tuyen", "Về việc kiểm tra thị trường cuối năm", organ="SỞ CÔNG THƯƠNG TỈNH BÌNH DƯƠNG",
                code=("88", "SCT-QLTM"), pdf_text="Kiểm tra thị trường"), routing=routing)).document_id
    spool = corpus.spool
    now = dt.datetime.now(dt.timezone.utc)
    held = spool.put(b"From: ban@gmail.com\r\nSubject: Moi hop\r\n\r\nx\r\n",
                     Envelope(source="smtp", received_at=now, mail_from="ban@gmail.com", rcpt_tos=("vanthu@localhost",)))
    spool.claim(held)
    quarantine.hold(spool, held, "sender domain gmail.com is not allowed (policy: quarantine)",
                    {"from": "ban@gmail.com", "domain": "gmail.com", "spf": "none", "dkim": "fail", "dmarc": "none",
                     "auth_source": ""})
    limited = spool.put(b"From: a@b.gov.vn\r\nSubject: Lon\r\n\r\nx\r\n",
                        Envelope(source="imap", received_at=now, mail_from="a@b.gov.vn", rcpt_tos=("vanthu@localhost",)))
    spool.claim(limited)
    quarantine.hold(spool, limited, "limit: kt.zip: zip_max_ratio 400 > 200", {"limits": ["kt.zip: zip_max_ratio"]})
    bad = spool.put(b"Subject: hong\r\n\r\nx\r\n", Envelope(source="import", received_at=now, source_ref="/srv/a.eml"))
    spool.claim(bad)
    spool.fail(bad, "cannot parse: no header block", "traceback", permanent=True)
    loaded: set[str] = set()
    yield corpus, {"review": review, "routed": routed, "held": held}, loaded
    corpus.register.close()


def _recording(client, loaded: set[str]):
    """Record every template the application loads (includes and imports too)."""
    environment = client.app.state.templates
    loader = environment.loader

    class Recording(type(loader)):
        def get_source(self, env, template):
            loaded.add(template)
            return super().get_source(env, template)

    recording = Recording(loader.searchpath)
    environment.loader = recording
    environment.cache.clear() if environment.cache is not None else None
    return client


def _data(corpus) -> list[str]:
    """What the corpus itself holds: shown as it is, whatever language it is in."""
    return ([d["subject"] for d in DOCS.values()] + [REVIEW_SUBJECT]
            + [name for name in USERS] + [name.upper() for name in USERS] + ["Moi hop", "hong", "Lon"]
            + [f"spool-{key}" for key in (*DOCS, "review", "dinh-tuyen")])


def test_no_english_on_any_page_for_any_role(site) -> None:
    corpus, ids, loaded = site
    data = _data(corpus)
    found: dict[str, set[str]] = {}
    for user in USERS:
        client = _recording(client_for(corpus), loaded)
        csrf = login(client, user)
        urls = ["/", "/register", "/register?review=1", "/export", "/spool/bad", "/spool/quarantine",
                f"/spool/quarantine/{ids['held']}", "/admin/users", "/documents/99999",
                "/export?format=csv&date_from=31/02/2025&date_to=01/03/2025", "/paper", "/paper/arrival/chua-co-1"]
        urls += [f"/documents/{doc}" for doc in (*corpus.ids.values(), ids["review"], ids["routed"])]
        pages = {url: client.get(url) for url in urls}
        doc = corpus.ids["both"]
        pages["correct 31/02"] = client.post(f"/documents/{doc}/correct",
                                             data={"field": "issued_date", "value": "31/02/2025", "csrf": csrf})
        pages["second lead"] = client.post(f"/documents/{doc}/assign", data={"unit": "TC", "role": "lead", "csrf": csrf})
        pages["stale form"] = client.post(f"/documents/{doc}/handled", data={"csrf": "stale"})
        pages["delete unconfirmed"] = client.post("/spool/quarantine/delete", data={"spool_id": "x", "csrf": csrf})
        pages["no such spool entry"] = client.get("/spool/quarantine/nope")
        pages["paper draft"] = client.post("/paper", data={"csrf": csrf})
        pages["paper without subject"] = client.post(pages["paper draft"].url.path, data={"csrf": csrf})
        pages["direction without lead"] = client.post(f"/documents/{doc}/direction", data={"csrf": csrf})
        pages["return without reason"] = client.post(f"/documents/{doc}/return", data={"csrf": csrf, "reason": " "})
        pages["recall unconfirmed"] = client.post(f"/documents/{doc}/recall", data={"csrf": csrf, "reason": "x"})
        for name, response in pages.items():
            if response.headers.get("content-type", "").startswith("text/html"):
                words = english_in(visible_text(response.text), data)
                if words:
                    found[f"{user} {name} ({response.status_code})"] = words
    anonymous = _recording(client_for(corpus), loaded)
    token = csrf_of(anonymous.get("/login").text)
    for attempt in range(6):  # wrong passwords, then the throttled page
        page = anonymous.post("/login", data={"username": "lanhdao", "password": "sai", "csrf": token})
        words = english_in(visible_text(page.text), data)
        if words:
            found[f"login attempt {attempt} ({page.status_code})"] = words
    assert page.status_code == 429 and "thử lại sau" in page.text
    assert found == {}


def test_every_template_was_walked(site) -> None:
    _corpus, _ids, loaded = site
    if not loaded:
        pytest.skip("runs after test_no_english_on_any_page_for_any_role")
    assert {p.name for p in Path(TEMPLATES).glob("*.html")} == loaded


def test_templates_hold_no_english_outside_code(site) -> None:
    """The templates' own words, Jinja expressions and tags taken out: a word added later is caught here even on a
    page the walk above does not reach."""
    found = {}
    for path in Path(TEMPLATES).glob("*.html"):
        source = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", " ", path.read_text(encoding="utf-8"), flags=re.S)
        words = english_in(visible_text(source), [])
        if words:
            found[path.name] = words
    assert found == {}


def test_the_clis_human_output_is_vietnamese(site, tmp_path) -> None:
    from gateway.cli import main

    corpus, ids, _ = site
    config = tmp_path / "gateway.toml"
    config.write_text(f'[paths]\ndata_dir = "{corpus.config.paths.data_dir}"\n'
                      f'[database]\nurl = "{corpus.config.database.url}"\n', encoding="utf-8")
    runner = CliRunner()
    corpus.register.changes.confirm(ids["review"], ["code_number"], "vanthu")
    corpus.register.changes.correct(ids["review"], {"signer_name": "Trần Hoàng Tuấn"}, "vanthu")
    commands = [
        ["show", str(ids["review"])], ["show", str(ids["routed"])], ["show", "99999"], ["search", "kiểm tra"],
        ["search", "khongcotu"], ["user", "list"], ["user", "tokens"], ["user", "disable", "cv_tc"],
        ["user", "enable", "cv_tc"], ["user", "token-revoke", "99999"], ["user", "disable", "nobody"],
        ["quarantine", "list"], ["quarantine", "show", ids["held"]], ["spool", "list", "bad"],
        ["audit", "verify", "--no-blobs"], ["labels", str(tmp_path / "labels")],
    ]
    found = {}
    for command in commands:
        result = runner.invoke(main, ["--config", str(config), *command], catch_exceptions=False)
        words = english_in(result.output, _data(corpus) + ["gateway", str(tmp_path)])
        if words:
            found[" ".join(command)] = (words, result.output)
    assert found == {}


def _commands(command, path: tuple[str, ...] = ()):
    """Every command of the tree with the words that call it."""
    import click

    yield path, command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _commands(sub, (*path, name))


def _typed(text: str, path: tuple[str, ...]) -> str:
    """``text`` without what a person types as it is: the command's own name and path, options (--all-failed,
    --set code_number=),
    commands listed under "Lệnh:", choice lists ([queued|sent]) and `code`."""
    text = re.sub(r"gateway(?: [a-z][\w-]*)*(?= \[TÙY_CHỌN\])", " ", text).replace(" ".join(("gateway", *path)), " ")
    text = re.sub(r"`[^`]*`|(?<![\w-])--?[a-z][\w-]*(?: [a-z_]+=)?|\[[^\]\s]*\|[^\]\s]*\]", " ", text)
    return re.sub(r"(?m)^  [a-z][\w-]*(?=\s{2,}|$)", " ", text)


def test_every_commands_help_and_usage_errors_are_vietnamese() -> None:
    """`--help` of every command (click's own words too) and click's usage errors."""
    import click

    from gateway.cli import main
    from gateway.cli.labels import LABELS

    runner = CliRunner()
    found = {}
    # values a person types as they are: the choices of a parameter (roles, states, queues) and the label keys
    values = [str(c) for _, command in _commands(main) for p in command.params if isinstance(p.type, click.Choice)
              for c in p.type.choices] + list(LABELS)
    for path, command in _commands(main):
        result = runner.invoke(main, [*path, "--help"], prog_name="gateway", catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert not re.search(r"%[A-Za-z]", result.output), result.output  # a date's shape, not strptime's codes
        words = english_in(_typed(result.output, path), values)
        if words:
            found[" ".join(path) or "gateway"] = (words, result.output)
    for wrong in (["bogus"], ["show"], ["show", "x"], ["search", "--limit", "0"], ["spool", "list", "nowhere"],
                  ["--nope"], ["outbox", "retry", "--all-failed", "--jsn"], ["restore", "/khong/co"], ["user"],
                  ["user", "tokens", "a", "b"], ["outbox", "list", "--state"]):
        result = runner.invoke(main, wrong, prog_name="gateway", catch_exceptions=False)
        assert result.exit_code == 2 and ("gateway: lỗi: " in result.output or "Cách dùng: gateway" in result.output)
        words = english_in(_typed(result.output, ()), values + ["nowhere", "bogus", "nope"])
        if words:
            found[" ".join(wrong)] = (words, result.output)
    assert found == {}, "\n".join(f"{name}: {sorted(words)}\n{output}" for name, (words, output) in found.items())


def test_the_sysadmins_commands_print_vietnamese(site, tmp_path) -> None:
    from gateway.cli import main
    from gateway.routing.conditions import CONDITIONS

    corpus, _ids, _ = site
    rules = Path(__file__).resolve().parent.parent / "rules"
    config = tmp_path / "gateway.toml"
    config.write_text(f'[paths]\ndata_dir = "{corpus.config.paths.data_dir}"\n'
                      f'[database]\nurl = "{corpus.config.database.url}"\n'
                      f'[routing]\nrules_dir = "{rules}"\n', encoding="utf-8")
    pdf = tmp_path / "cv.pdf"
    pdf.write_bytes(make_pdf(["ỦY BAN NHÂN DÂN TỈNH BÌNH DƯƠNG", "Số: 12/UBND-KT",
                              "Bình Dương, ngày 05 tháng 3 năm 2026", "V/v kiểm tra thị trường"]))
    runner = CliRunner()
    commands = [["status"], ["doctor"], ["config", "check"], ["rules", "check"], ["rules", "explain", "1"],
                ["imap", "status"], ["imap", "test", "khong-co"], ["spool", "flush"], ["spool", "list", "quarantine"],
                ["outbox", "list"], ["backup", str(tmp_path / "sao-luu")],
                ["backup", str(tmp_path / "sao-luu")], ["restore", str(tmp_path / "sao-luu")], ["rules", "reload"],
                ["audit", "verify"],
                ["config", "memory"], ["extract", str(pdf)], ["register-paper", "--propose", str(pdf)]]
    found = {}
    for command in commands:
        result = runner.invoke(main, ["--config", str(config), *command], catch_exceptions=False)
        output = LOG_LINE.sub(" ", result.output)  # log lines stay English
        # `rules explain` names the condition that decided as the rule's author wrote it: "keywords_any: …"
        output = _typed(re.sub(rf"(?m)^\s+(?:{'|'.join(CONDITIONS)}): ", " ", output), ())
        words = english_in(output, _data(corpus) + ["gateway", str(tmp_path), str(rules), "khong-co"])
        if words:
            found[" ".join(command)] = (words, result.output)
    assert found == {}, "\n".join(f"{name}: {sorted(words)}\n{output}" for name, (words, output) in found.items())


BROKEN_RULES = '''[[department]]
code = "KT"
name = "Phòng Kinh tế"
mailbox = "khong-phai-dia-chi"
mau = 1

[[department]]
code = "KT"
name = "Phòng Kinh tế"

[[rule]]
name = "mau-sai"
[rule.when]
colour = "do"
[rule.then]
lead = "NOPE"
due_days = 400
priority = "gap"

[[rule]]
name = "bieu-thuc-sai"
ghi_chu = "x"
[rule.when]
regex = "(mo"
urgency_at_least = "rat khan"
signature = "dep"
search_in = "noi_dung"
[rule.then]
explode = true
due_date = "mai"
tag = 3
forward = "co"

[[rule]]
name = "tat-ca"
[rule.then]
stop = true

[[rule]]
name = "khong-toi"
[rule.when]
sender = "*"
[rule.then]
lead = "KT"

[bang_la]
x = 1
'''


def _names_in_rule_files() -> list[str]:
    """What a rule file's author writes as it is: tables, keys, conditions, actions and their values."""
    from gateway.routing import rules as r
    from gateway.routing.conditions import CONDITIONS, SEARCH_IN, SIGNATURES, URGENCY_LEVELS
    from gateway.routing.facts import SEARCH_FIELDS

    return (["[[department]]", "[[rule]]", "[fallback]", SEARCH_IN, *CONDITIONS, *r.ACTIONS, *r.PRIORITIES,
             *SIGNATURES, *URGENCY_LEVELS, *SEARCH_FIELDS, "kebab-case"])


def test_rule_file_problems_are_vietnamese(site, tmp_path) -> None:
    """`rules check`, `rules reload`, `doctor` and `config check` on a rule folder with every kind of mistake: the
    problems in Vietnamese; names, values and file:line as the author wrote them."""
    from gateway.cli import main

    corpus, _ids, _ = site
    rules = tmp_path / "luat"
    rules.mkdir()
    (rules / "20-rules.toml").write_text(BROKEN_RULES, encoding="utf-8")
    (rules / "30-hong.toml").write_text('[[rule]]\nname = "x"\n[rule.when\n', encoding="utf-8")
    config = tmp_path / "gateway.toml"
    config.write_text(f'[paths]\ndata_dir = "{corpus.config.paths.data_dir}"\n'
                      f'[database]\nurl = "{corpus.config.database.url}"\n'
                      f'[routing]\nrules_dir = "{rules}"\n', encoding="utf-8")
    runner = CliRunner()
    found = {}
    for command in (["rules", "check"], ["rules", "reload"], ["doctor"], ["config", "check"],
                    ["rules", "check", str(tmp_path / "khong-co")]):
        result = runner.invoke(main, ["--config", str(config), *command], catch_exceptions=False)
        assert result.exit_code != 0, result.output
        # a library's own words (tomllib, re) are a technical detail, shown as they are
        # and the values the author wrote, quoted ('ghi_chu'), or TOML's own (true, false)
        output = re.sub(r"(?m)chi tiết kỹ thuật: .*$|'[^']*'", " ", LOG_LINE.sub(" ", result.output))
        words = english_in(_typed(output, ()), _data(corpus) + _names_in_rule_files() + ["true", "false",
                                                                                           str(tmp_path)])
        if words:
            found[" ".join(command)] = (words, result.output)
        if command == ["rules", "check"]:
            assert "20-rules.toml:14: luật mau-sai: không có điều kiện 'colour'" in result.output
            assert "luật khong-toi: không bao giờ chạy tới: luật tat-ca" in result.output
            assert "thiếu bảng [fallback]" in result.output
            assert "30-hong.toml:3: không phải TOML hợp lệ" in result.output
    assert found == {}, "\n".join(f"{name}: {sorted(words)}\n{output}" for name, (words, output) in found.items())


def test_config_show_explains_every_key_in_vietnamese(site, tmp_path) -> None:
    """`config show`: the comment over each section and key (key names and values are typed as they are)."""
    from gateway.cli import main

    corpus, _ids, _ = site
    config = tmp_path / "gateway.toml"
    config.write_text(f'[paths]\ndata_dir = "{corpus.config.paths.data_dir}"\n'
                      '[[imap.accounts]]\nname = "hop-thu"\nhost = "imap.example.gov.vn"\nusername = "vanthu"\n'
                      'password_env = "GW_IMAP_PW"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(config), "config", "show"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    comments = [line.partition("#")[2] for line in result.output.splitlines() if "#" in line]
    assert len(comments) > 130
    text = re.sub(r'"[^"]*"', " ", _typed("\n".join(comments), ()))
    words = english_in(text, _config_keys() + [str(tmp_path)])
    assert words == set(), text


def _config_keys() -> list[str]:
    """Every configuration key's name: typed as it is."""
    from gateway.core.config import Config, ImapAccountConfig

    keys = [f.name for f in dataclasses.fields(ImapAccountConfig)]
    for section in dataclasses.fields(Config):
        keys.append(section.name)
        value = getattr(Config(), section.name)
        if dataclasses.is_dataclass(value):
            keys += [f.name for f in dataclasses.fields(value)]
    return keys


BROKEN_CONFIG = '''[smtp]
colour = 1
max_recipients = "x"
listen = "khong"
tls_cert = "/khong/co.pem"
require_tls = true
recipient_delimiter = "ab"
[limits]
on_limit = "zap"
[logging]
level = "LOUD"
[register]
timezone = "Mars/Base"
[followup]
at = "7h"
[routing]
decision = "maybe"
[database]
blobs = "cloud"
url = "mysql://x"
[web]
trusted_proxies = ["khong-phai"]
secret_roles = ["vua"]
short_names = ["ABC"]
review_below = 2.0
[trust]
domain_overrides = ["x"]
dns_servers = ["a:b:c", "1.2.3.4:99999"]
verify_dkim = "sometimes"
[outbox]
from_address = "khong"
username = "u"
password_file = "/khong/co"
password_env = "B"
relay_host = "relay.example.gov.vn"
[[imap.accounts]]
name = "a"
tls = "bad"
folders = []
after_action = "archive"
[[imap.accounts]]
name = "a"
host = "h.example"
username = "u"
password_env = "X"
tls = "none"
after_action = "keyword:a b"
'''


def test_config_check_says_every_problem_in_vietnamese(tmp_path) -> None:
    """`config check` on a file with a mistake in nearly every key: each problem in Vietnamese (web/reasons.py
    puts core/config.py's English shapes in Vietnamese at the CLI edge); keys and the values written as they are."""
    from gateway.cli import main
    from gateway.core.config import DKIM_MODES, TLS_MODES, TRUST_ACTIONS

    config = tmp_path / "gateway.toml"
    config.write_text(BROKEN_CONFIG, encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(config), "config", "check"], catch_exceptions=False)
    assert result.exit_code == 3, result.output
    assert len(result.output.splitlines()) > 30
    output = re.sub(r"(?m)chi tiết kỹ thuật: .*$|'[^']*'", " ", result.output)
    values = [*TRUST_ACTIONS, *DKIM_MODES, *TLS_MODES, "mark", "final", "proposal", "filesystem", "database",
              "DEBUG", "INFO", "WARNING", "ERROR", "seen", "keyword", "move", "delete"]
    words = english_in(output, _config_keys() + values + [str(tmp_path)])
    assert words == set(), result.output


def test_status_says_an_imap_accounts_last_error_in_vietnamese(site, tmp_path) -> None:
    """`status`: the last error of an IMAP account (English from the server, imaplib or the socket) behind a
    Vietnamese sentence, the known shapes in Vietnamese."""
    from gateway.cli import main
    from gateway.intake.imap_status import StatusFile

    corpus, _ids, _ = site
    config = tmp_path / "gateway.toml"
    config.write_text(f'[paths]\ndata_dir = "{corpus.config.paths.data_dir}"\n'
                      f'[database]\nurl = "{corpus.config.database.url}"\n'
                      '[[imap.accounts]]\nname = "hop-thu"\nhost = "imap.example.gov.vn"\nusername = "vanthu"\n'
                      'password_env = "GW_IMAP_PW"\n'
                      '[[imap.accounts]]\nname = "hop-hai"\nhost = "imap.example.gov.vn"\nusername = "vanthu"\n'
                      'password_env = "GW_IMAP_PW"\n', encoding="utf-8")
    folder = corpus.config.data_dir / "imap"
    StatusFile(folder, "hop-thu").error("imap hop-thu: login refused: [AUTHENTICATIONFAILED] Invalid credentials")
    StatusFile(folder, "hop-hai").error("[Errno 111] Connection refused")
    try:
        result = CliRunner().invoke(main, ["--config", str(config), "status"], catch_exceptions=False)
    finally:
        for name in ("hop-thu", "hop-hai"):
            (folder / f"{name}.json").unlink()
    assert result.exit_code == 0, result.output
    assert "IMAP hop-thu: máy chủ từ chối đăng nhập" in result.output
    assert "Chi tiết kỹ thuật: [Errno 111] Connection refused" in result.output
    output = re.sub(r"(?m)chi tiết kỹ thuật: .*$", " ", result.output, flags=re.I)
    assert english_in(output, _data(corpus) + ["gateway", str(tmp_path)]) == set(), result.output
