"""Rule files: each condition and action alone, order and stop, the fallback, explain, and check errors."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
from conftest import REPO
from routing_helpers import write_rules

from gateway.core.errors import RuleFileError
from gateway.routing.evaluate import evaluate
from gateway.routing.explain import explain
from gateway.routing.facts import Facts
from gateway.routing.rules import check_rules, load_rules
from gateway.routing.workdays import WorkCalendar


def rule(when: str, then: str = 'lead = "TTR"', name: str = "r") -> str:
    return f'[[rule]]\nname = "{name}"\n[rule.when]\n{when}\n[rule.then]\n{then}\n'


def decide(tmp_path, rules: str, facts: Facts):
    return evaluate(load_rules(write_rules(tmp_path / "rules", rules)), facts)


def lead_of(tmp_path, when: str, facts: Facts) -> str:
    return decide(tmp_path, rule(when), facts).lead


CONDITION_CASES = [
    ('sender = "*@moit.gov.vn"', Facts(sender="vanthu@moit.gov.vn"), Facts(sender="a@hanoi.gov.vn")),
    ('sender_domain = ["*.gov.vn"]', Facts(sender="x@hanoi.gov.vn"), Facts(sender="x@gmail.com")),
    ('recipient = "vanthu@sct.*"', Facts(recipients=("vanthu@sct.example.gov.vn",)),
     Facts(recipients=("other@sct.example.gov.vn",))),
    ('organ = "Uy ban nhan dan tinh Ha Nam"', Facts(organ_name="ỦY BAN NHÂN DÂN TỈNH HÀ NAM"),
     Facts(organ_name="Ủy ban nhân dân tỉnh Nam Định")),
    ('organ = "Ủy ban nhân dân tỉnh *"', Facts(organ_name="Uỷ ban nhân dân tỉnh Hà Nam"),
     Facts(organ_name="Bộ Công Thương")),
    ('organ_id = "000.00.01.H43"', Facts(organ_id="000.00.01.h43"), Facts(organ_id="000.00.01.H44")),
    ('type = ["Quyết định"]', Facts(type_name="QUYẾT ĐỊNH"), Facts(type_name="Công văn")),
    ('type = ["CV"]', Facts(type_code="CV"), Facts(type_code="QĐ")),
    ('keywords_any = ["khiếu nại", "tố cáo"]', Facts(trich_yeu="V/v giải quyết đơn khieu nai của công dân"),
     Facts(trich_yeu="V/v khiếu nạii")),
    ('keywords_all = ["dự toán", "ngân sách"]', Facts(subject="Dự toán ngân sách 2027"),
     Facts(subject="Dự toán chi thường xuyên")),
    ('regex = "quyết toán (năm )?20\\\\d\\\\d"', Facts(text="Báo cáo quyet toan nam 2025 của Sở"),
     Facts(text="Báo cáo quyết toán")),
    ('urgency_at_least = "thượng khẩn"', Facts(urgency=3), Facts(urgency=1)),
    ('secrecy_at_least = 1', Facts(secrecy=1), Facts(secrecy=0)),
    ('signature = ["invalid", "unsigned"]', Facts(signature="invalid"), Facts(signature="valid")),
    ('attachment_type = "docx"', Facts(attachment_types=frozenset({"pdf", "docx"})),
     Facts(attachment_types=frozenset({"pdf"}))),
]


@pytest.mark.parametrize("when,hit,miss", CONDITION_CASES, ids=[c[0].split()[0] for c in CONDITION_CASES])
def test_each_condition_alone(tmp_path, when, hit, miss) -> None:
    assert lead_of(tmp_path, when, hit) == "TTR"
    assert lead_of(tmp_path, when, miss) == "VT"  # the fallback


def test_search_in_limits_where_keywords_look(tmp_path) -> None:
    when = 'keywords_any = "điện lực"\nsearch_in = ["trich_yeu"]'
    assert lead_of(tmp_path, when, Facts(trich_yeu="Cung cấp điện lực")) == "TTR"
    assert lead_of(tmp_path, when, Facts(text="điện lực ở thân văn bản")) == "VT"


def test_each_action_alone(tmp_path) -> None:
    facts = Facts(sender="a@b.gov.vn")
    cases = {
        'lead = "KHTC"': lambda d: d.lead == "KHTC" and not d.used_fallback,
        'cooperate = ["TTR", "QLNL"]': lambda d: d.cooperate == ("TTR", "QLNL") and d.lead == "VT",
        'inform = "BGD"': lambda d: d.inform == ("BGD",),
        "due_days = 5": lambda d: d.due_days == 5,
        "due_date = 2026-12-31": lambda d: d.due_date == dt.date(2026, 12, 31),
        'priority = "urgent"': lambda d: d.priority == "urgent",
        'tag = ["a", "b"]': lambda d: d.tags == ("a", "b"),
        "forward = true": lambda d: d.forward and not d.receipt,
        "receipt = true": lambda d: d.receipt and not d.forward,
        'quarantine = "mã độc"': lambda d: d.quarantine == "mã độc" and not d.used_fallback,
    }
    for then, check in cases.items():
        decision = decide(tmp_path, rule('sender_domain = "b.gov.vn"', then), facts)
        assert check(decision), then
    plain = decide(tmp_path, rule('sender_domain = "b.gov.vn"', 'tag = "x"'), facts)
    assert plain.due_days == 2 and plain.lead == "VT"  # the fallback's deadline when no rule gives one


def test_order_first_lead_wins_lists_add_up_and_stop_skips_the_rest(tmp_path) -> None:
    rules = (
        rule('keywords_any = "điện"', 'lead = "QLNL"\ncooperate = "TTR"\ndue_days = 7', "first")
        + rule('keywords_any = "điện"', 'lead = "KHTC"\ncooperate = "KHTC"\ninform = "BGD"\nstop = true', "second")
        + rule('keywords_any = "điện"', 'inform = "TTR"', "third")
    )
    decision = decide(tmp_path, rules, Facts(subject="Giá điện"))
    assert decision.lead == "QLNL" and decision.cooperate == ("TTR", "KHTC") and decision.inform == ("BGD",)
    assert decision.due_days == 7
    assert [(v.rule, v.state) for v in decision.verdicts] == [
        ("first", "matched"), ("second", "matched"), ("third", "skipped")]


def test_a_miss_names_the_condition_that_decided(tmp_path) -> None:
    rules = rule('sender_domain = "moit.gov.vn"\nkeywords_any = "điện"', 'lead = "QLNL"', "bo")
    decision = decide(tmp_path, rules, Facts(sender="x@moit.gov.vn", subject="Tuyển dụng"))
    verdict = decision.verdicts[0]
    assert verdict.state == "not-matched" and verdict.decided_by == "keywords_any"
    assert decision.verdicts[-1].rule == "fallback" and decision.lead == "VT"


def test_explain_shows_every_rule_and_the_result(tmp_path) -> None:
    rules = rule('keywords_any = "khiếu nại"', 'lead = "TTR"\ndue_days = 10', "khieu-nai") + \
        rule('urgency_at_least = "hỏa tốc"', 'inform = "BGD"', "hoa-toc")
    ruleset = load_rules(write_rules(tmp_path / "rules", rules))
    facts = Facts(trich_yeu="Đơn khiếu nại", urgency=0)
    text = explain(ruleset, facts, evaluate(ruleset, facts), dt.date(2026, 2, 13), WorkCalendar())
    assert "KHỚP     khieu-nai" in text and "có từ khoá 'khiếu nại' trong trích yếu" in text
    assert "không    hoa-toc" in text and "urgency_at_least: độ khẩn 0 < 3" in text
    assert "TTR (Thanh tra)" in text
    assert "06/03/2026 (10 ngày làm việc sau 13/02/2026)" in text  # across Tết 2026


def test_check_reports_every_error_with_file_line_and_rule(tmp_path) -> None:
    rules = (
        rule('keywords_any = "a"', 'lead = "TTR"', "good")       # lines 1-6
        + rule('colour = "red"', 'lead = "TTR"', "unknown-condition")  # 7-12
        + rule('regex = "(unclosed"', 'lead = "NOPE"', "bad-regex")    # 13-18
        + rule('sender = "*"', 'explode = true', "unknown-action")     # 19-24
        + '[[rule]]\nname = "catch-all"\n[rule.then]\nstop = true\n'   # 25-28
        + rule('sender = "*"', 'lead = "TTR"', "never")                # 29-34
    )
    directory = write_rules(tmp_path / "rules", rules)
    problems = check_rules(directory)
    found = {(p.line, p.rule, p.message.split(";")[0].split(":")[0]) for p in problems}
    path = str(directory / "20-rules.toml")
    assert all(p.file == path for p in problems)
    assert (10, "luật unknown-condition", "không có điều kiện 'colour'") in found
    assert any(line == 16 and r == "luật bad-regex" and m.startswith("regex") for line, r, m in found)
    assert (18, "luật bad-regex", "lead") in found  # unknown department
    assert (24, "luật unknown-action", "không có hành động 'explode'") in found
    assert any(line == 29 and r == "luật never" and m.startswith("không bao giờ chạy tới") for line, r, m in found)
    assert len(problems) == 5
    with pytest.raises(RuleFileError):
        load_rules(directory)


def test_check_reports_toml_syntax_and_missing_fallback(tmp_path) -> None:
    directory = tmp_path / "rules"
    directory.mkdir()
    (directory / "a.toml").write_text('[[rule]]\nname = "x"\n[rule.when\n', encoding="utf-8")
    problems = check_rules(directory)
    assert problems[0].line == 3 and "không phải TOML hợp lệ" in problems[0].message
    assert any("thiếu bảng [fallback]" in p.message for p in problems)


def test_cli_rules_check_exits_non_zero_listing_problems(tmp_path) -> None:
    bad = write_rules(tmp_path / "bad", rule('colour = "red"') + rule('sender = "x"', 'lead = "NOPE"', "r2"))
    result = subprocess.run([sys.executable, "-m", "gateway", "rules", "check", str(bad)], cwd=tmp_path,
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stdout.count("20-rules.toml:") == 2 and "2 lỗi trong" in result.stderr


def test_the_shipped_example_rules_pass_the_check() -> None:
    """CI: `gateway rules check rules/` on the example for a Sở Công Thương."""
    result = subprocess.run([sys.executable, "-m", "gateway", "rules", "check", "rules/"], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "hợp lệ" in result.stdout


@pytest.mark.parametrize("facts,lead,extra", [
    (Facts(trich_yeu="V/v giải quyết đơn khiếu nại của bà Nguyễn Thị A"), "TTR", ()),
    (Facts(trich_yeu="V/v lập dự toán ngân sách năm 2027"), "KHTC", ()),
    (Facts(trich_yeu="V/v bảo đảm cung cấp điện dịp Tết Nguyên đán"), "QLNL", ()),
    (Facts(trich_yeu="V/v kiểm tra kinh doanh xăng dầu"), "QLTM", ()),
    (Facts(trich_yeu="Về việc phát triển cụm công nghiệp"), "QLCN", ()),
    (Facts(trich_yeu="Giấy mời họp", organ_name="UBND tỉnh Hà Nam"), "VP", ("BGD",)),
    (Facts(trich_yeu="Thông báo chung", urgency=3), "VT", ("BGD",)),
])
def test_the_example_rules_route_sensibly(facts, lead, extra) -> None:
    decision = evaluate(load_rules(REPO / "rules"), facts)
    assert decision.lead == lead
    assert set(extra) <= set(decision.inform)
    assert decision.forward and decision.receipt


def test_the_example_rules_quarantine_secret_documents() -> None:
    assert evaluate(load_rules(REPO / "rules"), Facts(secrecy=1)).quarantine


def test_cli_explain_a_message_file(tmp_path) -> None:
    from docgen import make_message

    eml = tmp_path / "cv.eml"
    eml.write_bytes(make_message("V/v bảo đảm cung cấp điện dịp Tết", "Kính gửi Sở Công Thương.",
                                 sender="vanthu@hanoi.gov.vn"))
    result = subprocess.run([sys.executable, "-m", "gateway", "rules", "explain", str(eml), "--rules",
                             str(REPO / "rules")], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "KHỚP     nang-luong" in out and "có từ khoá 'cung cấp điện' trong trích yếu" in out
    assert "không    thanh-tra-khieu-nai-to-cao" in out and "bỏ qua" not in out
    assert "QLNL (Phòng Quản lý Năng lượng)" in out and "KTAT (Phòng Kỹ thuật an toàn – Môi trường)" in out


def test_doctor_fails_on_broken_rules(tmp_path) -> None:
    from gateway.core.config import load_config
    from gateway.ops.doctor import check_rules

    broken = write_rules(tmp_path / "rules", rule('colour = "red"'))
    check = check_rules(load_config(None, {"routing.rules_dir": str(broken)}))
    assert check.level == "FAIL" and "không có điều kiện 'colour'" in check.detail
    assert check_rules(load_config(None, {"routing.rules_dir": str(REPO / "rules")})).level == "OK"
    assert check_rules(load_config(None)).level == "WARN"
