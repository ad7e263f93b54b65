"""Small rule folders written by tests: departments, a fallback, and the rules under test."""

from __future__ import annotations

from pathlib import Path

DEPARTMENTS = """
[[department]]
code = "VT"
name = "Văn thư"

[[department]]
code = "TTR"
name = "Thanh tra"
mailbox = "thanhtra@sct.example.gov.vn"

[[department]]
code = "KHTC"
name = "Kế hoạch – Tài chính"
mailbox = "khtc@sct.example.gov.vn"

[[department]]
code = "QLNL"
name = "Quản lý Năng lượng"
mailbox = "qlnl@sct.example.gov.vn"

[[department]]
code = "BGD"
name = "Ban Giám đốc"

[fallback]
lead = "VT"
due_days = 2
"""


def complaint_rule(**then: object) -> str:
    """One rule, "khieu-nai": a document about a complaint (khiếu nại) goes to the units ``then`` names."""
    lines = [f"{key} = {_toml(value)}" for key, value in then.items()]
    return '[[rule]]\nname = "khieu-nai"\n[rule.when]\nkeywords_any = ["khiếu nại"]\n[rule.then]\n' + "\n".join(lines) + "\n"


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return f'"{value}"' if isinstance(value, str) else str(value)


def write_rules(directory: Path, rules: str, departments: str = DEPARTMENTS) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "10-departments.toml").write_text(departments, encoding="utf-8")
    (directory / "20-rules.toml").write_text(rules, encoding="utf-8")
    return directory
