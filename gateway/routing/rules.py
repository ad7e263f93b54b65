"""Loads and checks the rule files: departments, ordered rules (when → then) and the fallback to the văn thư.

Every problem is reported with its file, line and rule name; tomllib gives no positions, so the lines of the
[[rule]], [[department]] and [fallback] headers (and of keys inside them) are found in the text itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from gateway.core.errors import RuleFileError
from gateway.routing.conditions import CONDITIONS, SEARCH_IN, ConditionError, Test, compile_search_in
from gateway.routing.facts import SEARCH_FIELDS

RULE_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
DEPARTMENT_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
PRIORITIES = ("low", "normal", "high", "urgent")
ACTIONS = ("lead", "cooperate", "inform", "due_days", "due_date", "priority", "tag", "forward", "receipt",
           "quarantine", "stop")
TOP_LEVEL = ("department", "rule", "fallback")
_HEADER = re.compile(r"^\s*(\[\[\s*(rule|department)\s*\]\]|\[\s*(fallback)\s*\])\s*(#.*)?$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the rule files."""

    file: str
    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.rule + ': ' if self.rule else ''}{self.message}"


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    mailbox: str = ""
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class Actions:
    """What a rule does when it matches; None means "this rule does not say"."""

    lead: str | None = None
    cooperate: tuple[str, ...] = ()
    inform: tuple[str, ...] = ()
    due_days: int | None = None
    due_date: dt.date | None = None
    priority: str | None = None
    tags: tuple[str, ...] = ()
    forward: bool | None = None
    receipt: bool | None = None
    quarantine: str | None = None  # the reason, when the rule quarantines
    stop: bool = False

    def summary(self) -> list[str]:
        """The actions as short "name=value" strings, for the decision record and explain."""
        out = []
        for name in ("lead", "cooperate", "inform", "due_days", "due_date", "priority", "tags", "forward",
                     "receipt", "quarantine"):
            value = getattr(self, name)
            if value in (None, ()):
                continue
            if isinstance(value, tuple):
                value = ",".join(value)
            elif isinstance(value, bool):
                value = "true" if value else "false"
            out.append(f"{name}={value}")
        if self.stop:
            out.append("stop")
        return out


@dataclass(frozen=True)
class Condition:
    name: str
    value: object
    test: Test = field(compare=False, repr=False)


@dataclass(frozen=True)
class Rule:
    name: str
    file: str
    line: int
    conditions: tuple[Condition, ...]
    actions: Actions
    search_in: tuple[str, ...] = SEARCH_FIELDS
    description: str = ""


@dataclass(frozen=True)
class RuleSet:
    """Everything the rule files say, ready to evaluate."""

    directory: str
    departments: dict[str, Department]
    rules: tuple[Rule, ...]
    fallback: Actions
    version: str  # short sha256 of the files, stored with each decision
    sources: tuple[tuple[str, bytes], ...] = ()  # (file name, bytes) as read, for the workers' snapshot

    @cached_property
    def mailboxes(self) -> dict[str, str]:
        """Each department's mailbox ("" when it has none), worked out once per rule set, not per message."""
        return {code: dept.mailbox for code, dept in self.departments.items()}


class _Positions:
    """Line numbers of the tables of one rule file, in order of appearance, and of keys inside them."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers: dict[str, list[int]] = {"rule": [], "department": [], "fallback": []}
        self._starts: list[int] = []
        for number, line in enumerate(self.lines, start=1):
            match = _HEADER.match(line)
            if match:
                self.headers[match.group(2) or match.group(3)].append(number)
                self._starts.append(number)

    def of(self, kind: str, index: int) -> int:
        found = self.headers[kind]
        return found[index] if index < len(found) else 0

    def top(self, key: str) -> int:
        """The first line that opens table ``key`` or sets it at the top level (0 when not found)."""
        pattern = re.compile(r"^\s*(\[+\s*" + re.escape(key) + r"\b|" + re.escape(key) + r"\s*=)")
        return next((n for n, line in enumerate(self.lines, start=1) if pattern.match(line)), 0)

    def key(self, start: int, key: str) -> int:
        """The line of ``key = ...`` inside the table that begins at ``start`` (or ``start`` itself)."""
        if not start:
            return 0
        end = next((s for s in self._starts if s > start), len(self.lines) + 1)
        pattern = re.compile(r"^\s*(" + re.escape(key) + r'|"' + re.escape(key) + r'")\s*=')
        for number in range(start + 1, end):
            if pattern.match(self.lines[number - 1]):
                return number
        return start


OwnAddress = Callable[[str], bool]  # is this one of the gateway's own addresses (core.addresses.is_own_address)
OWN_MAILBOX = ("hộp thư {mailbox} là một địa chỉ của chính gateway: thư chuyển tiếp tới đó sẽ quay lại thành một "
               "văn bản mới (vòng lặp thư); hãy ghi hộp thư riêng của đơn vị, hoặc để trống")


def check_rules(directory: str | Path, own_address: OwnAddress | None = None) -> list[Problem]:
    """Every problem in the rule files of ``directory`` (empty when they are fine)."""
    try:
        load_rules(directory, own_address=own_address)
    except RuleFileError as err:
        return err.problems
    return []


def load_rules(directory: str | Path, shown_as: str | Path | None = None,
               own_address: OwnAddress | None = None) -> RuleSet:
    """Read every *.toml file of ``directory`` (in name order); RuleFileError lists all problems found.

    ``shown_as`` is the folder named in problems and decisions when ``directory`` is a copy of it (the
    snapshot the workers load, see snapshot_rules). With ``own_address``, a department whose mailbox is one of
    the gateway's own addresses is a problem: its mailbox exists only to be forwarded to, and that would loop.
    """
    directory = Path(directory)
    label_dir = Path(shown_as) if shown_as else directory
    problems: list[Problem] = []
    if not directory.is_dir():
        raise RuleFileError([Problem(str(directory.absolute()), 0, "", "không có thư mục luật này")])
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise RuleFileError([Problem(str(directory.absolute()), 0, "", "thư mục này không có tệp luật *.toml nào")])
    digest = hashlib.sha256()
    parsed = []
    sources: list[tuple[str, bytes]] = []
    for path in files:
        try:
            raw = path.read_bytes()
            text = raw.decode("utf-8")
            data = tomllib.loads(text)
        except OSError as err:
            problems.append(Problem(str(path), 0, "", f"không đọc được (chi tiết kỹ thuật: {err})"))
            continue
        except UnicodeDecodeError as err:
            problems.append(Problem(str(path), 0, "", f"không phải UTF-8 (chi tiết kỹ thuật: {err})"))
            continue
        except tomllib.TOMLDecodeError as err:
            line = re.search(r"line (\d+)", str(err))
            problems.append(Problem(str(path), int(line.group(1)) if line else 0, "",
                                    f"không phải TOML hợp lệ (chi tiết kỹ thuật: {err})"))
            continue
        digest.update(path.name.encode() + b"\0" + raw + b"\0")
        sources.append((path.name, raw))
        parsed.append((str(label_dir / path.name), data, _Positions(text)))
    departments = _load_departments(parsed, problems, own_address)
    rules, fallbacks = [], []
    for name, data, positions in parsed:
        for key in data:
            if key not in TOP_LEVEL:
                problems.append(Problem(name, positions.top(key), "",
                                        f"không có bảng {key!r}; tệp luật chỉ có [[department]], [[rule]] và "
                                        f"[fallback]"))
        rules += _load_rules(name, data, positions, departments, problems)
        if "fallback" in data:
            fallbacks.append((name, positions.of("fallback", 0), data["fallback"], positions))
    fallback = _load_fallback(fallbacks, departments, problems, str(label_dir))
    _check_reachable(rules, problems)
    if problems:
        raise RuleFileError(problems)
    return RuleSet(str(label_dir), departments, tuple(rules), fallback, digest.hexdigest()[:12], tuple(sources))


def _load_departments(parsed, problems: list[Problem], own_address: OwnAddress | None) -> dict[str, Department]:
    departments: dict[str, Department] = {}
    for name, data, positions in parsed:
        entries = data.get("department", [])
        if not isinstance(entries, list):
            problems.append(Problem(name, 0, "", "department phải là một mảng bảng ([[department]])"))
            continue
        for index, entry in enumerate(entries):
            line = positions.of("department", index)
            code = str(entry.get("code", ""))
            label = f"đơn vị {code or index + 1}"
            unknown = set(entry) - {"code", "name", "mailbox", "members"}
            for key in sorted(unknown):
                problems.append(Problem(name, positions.key(line, key), label, f"không có khoá {key!r}"))
            if not DEPARTMENT_CODE.fullmatch(code):
                problems.append(Problem(name, line, label, "code phải gồm 1–64 chữ cái, chữ số, '_', '.', '-'"))
                continue
            if code in departments:
                problems.append(Problem(name, line, label, f"mã {code} được khai báo hai lần"))
                continue
            title = entry.get("name")
            mailbox = entry.get("mailbox", "")
            members = entry.get("members", [])
            if not isinstance(title, str) or not title.strip():
                problems.append(Problem(name, positions.key(line, "name"), label, "thiếu name (tên đơn vị)"))
            if not isinstance(mailbox, str) or (mailbox and not re.fullmatch(r"[^@\s]+@[^@\s]+", mailbox)):
                problems.append(Problem(name, positions.key(line, "mailbox"), label,
                                        f"mailbox phải là một địa chỉ thư điện tử, không phải {mailbox!r}"))
                mailbox = ""
            elif mailbox and own_address is not None and own_address(mailbox):
                problems.append(Problem(name, positions.key(line, "mailbox"), label,
                                        OWN_MAILBOX.format(mailbox=mailbox.strip())))
            if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
                problems.append(Problem(name, positions.key(line, "members"), label, "members phải là một danh sách"))
                members = []
            departments[code] = Department(code, str(title or "").strip(), mailbox.strip(), tuple(members))
    return departments


def _load_rules(name: str, data: dict, positions: _Positions, departments, problems) -> list[Rule]:
    entries = data.get("rule", [])
    if not isinstance(entries, list):
        problems.append(Problem(name, 0, "", "rule phải là một mảng bảng ([[rule]])"))
        return []
    rules = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        line = positions.of("rule", index)
        rule_name = entry.get("name")
        label = f"luật {rule_name}" if isinstance(rule_name, str) and rule_name else f"luật #{index + 1}"
        before = len(problems)
        if not isinstance(rule_name, str) or not RULE_NAME.fullmatch(rule_name):
            problems.append(Problem(name, positions.key(line, "name"), label,
                                    "name phải viết kiểu kebab-case (chữ thường, chữ số và '-')"))
        elif rule_name in seen:
            problems.append(Problem(name, positions.key(line, "name"), label,
                                    "name này đã có một luật khác dùng trong tệp"))
        seen.add(str(rule_name))
        for key in sorted(set(entry) - {"name", "description", "when", "then"}):
            problems.append(Problem(name, positions.key(line, key), label,
                                    f"không có khoá {key!r}; một luật có name, description, [rule.when], [rule.then]"))
        conditions, search_in = _conditions(entry.get("when", {}), name, line, label, positions, problems)
        actions = _actions(entry.get("then", {}), name, line, label, positions, departments, problems,
                           allow_stop=True)
        if len(problems) == before:
            rules.append(Rule(str(rule_name), name, line, conditions, actions, search_in,
                              str(entry.get("description", ""))))
    return rules


def _conditions(when, file: str, line: int, label: str, positions, problems):
    if not isinstance(when, dict):
        problems.append(Problem(file, line, label, "when phải là một bảng ([rule.when])"))
        return (), SEARCH_FIELDS
    conditions = []
    search_in = SEARCH_FIELDS
    for key, value in when.items():
        at = positions.key(line, key)
        try:
            if key == SEARCH_IN:
                search_in = compile_search_in(value)
            elif key in CONDITIONS:
                conditions.append(Condition(key, value, CONDITIONS[key](value)))
            else:
                problems.append(Problem(file, at, label, f"không có điều kiện {key!r}; các điều kiện: "
                                                         f"{', '.join(CONDITIONS)} (và {SEARCH_IN})"))
        except ConditionError as err:
            problems.append(Problem(file, at, label, str(err)))
    return tuple(conditions), search_in


def _units(value, key: str, file, at, label, departments, problems) -> tuple[str, ...]:
    codes = [value] if isinstance(value, str) else value
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        problems.append(Problem(file, at, label, f"{key} phải là mã một đơn vị hoặc danh sách mã đơn vị"))
        return ()
    for code in codes:
        if code not in departments:
            problems.append(Problem(file, at, label, f"{key}: không có đơn vị {code!r}; các đơn vị: "
                                                     f"{', '.join(departments) or '(chưa khai báo đơn vị nào)'}"))
    return tuple(codes)


def _actions(then, file: str, line: int, label: str, positions, departments, problems, allow_stop: bool) -> Actions:
    if not isinstance(then, dict):
        problems.append(Problem(file, line, label, "then phải là một bảng ([rule.then])"))
        return Actions()
    values: dict = {}
    for key, value in then.items():
        at = positions.key(line, key)
        if key not in ACTIONS or (key == "stop" and not allow_stop):
            known = ACTIONS if allow_stop else tuple(a for a in ACTIONS if a != "stop")
            problems.append(Problem(file, at, label, f"không có hành động {key!r}; các hành động: {', '.join(known)}"))
        elif key == "lead":
            units = _units(value, key, file, at, label, departments, problems)
            if len(units) != 1:
                problems.append(Problem(file, at, label, "lead phải ghi đúng một đơn vị"))
            values["lead"] = units[0] if units else None
        elif key in ("cooperate", "inform"):
            values[key] = _units(value, key, file, at, label, departments, problems)
        elif key == "due_days":
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 365:
                problems.append(Problem(file, at, label, f"due_days phải là số ngày làm việc, số nguyên "
                                                         f"0..365, không phải {value!r}"))
            else:
                values[key] = value
        elif key == "due_date":
            values[key] = _date(value, file, at, label, problems)
        elif key == "priority":
            if value not in PRIORITIES:
                problems.append(Problem(file, at, label, f"priority phải là một trong {', '.join(PRIORITIES)}"))
            else:
                values[key] = value
        elif key == "tag":
            tags = [value] if isinstance(value, str) else value
            if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
                problems.append(Problem(file, at, label, "tag phải là một chuỗi hoặc danh sách chuỗi"))
            else:
                values["tags"] = tuple(t.strip() for t in tags)
        elif key == "quarantine":
            if value is True or (isinstance(value, str) and value.strip()):
                values[key] = "quarantined by rule" if value is True else value.strip()
            elif value is not False:
                problems.append(Problem(file, at, label, "quarantine phải là true hoặc một lý do (chuỗi)"))
        elif not isinstance(value, bool):
            problems.append(Problem(file, at, label, f"{key} phải là true hoặc false"))
        else:
            values[key] = value
    if "due_days" in values and "due_date" in values:
        problems.append(Problem(file, line, label, "chỉ ghi due_days hoặc due_date, không ghi cả hai"))
    return Actions(**values)


def _date(value, file, at, label, problems) -> dt.date | None:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        problems.append(Problem(file, at, label,
                                f"due_date phải là một ngày NNNN-TT-NN (năm-tháng-ngày), không phải {value!r}"))
        return None


def _load_fallback(fallbacks, departments, problems, directory: str) -> Actions:
    if not fallbacks:
        problems.append(Problem(directory, 0, "fallback",
                                "thiếu bảng [fallback]: hãy ghi đơn vị (văn thư) chủ trì những văn bản không luật "
                                "nào giao"))
        return Actions()
    for file, line, _, _ in fallbacks[1:]:
        problems.append(Problem(file, line, "fallback", f"[fallback] thứ hai; [fallback] đầu tiên ở {fallbacks[0][0]}"))
    file, line, table, positions = fallbacks[0]
    actions = _actions(table, file, line, "fallback", positions, departments, problems, allow_stop=False)
    if not actions.lead:
        problems.append(Problem(file, line, "fallback", "[fallback] phải ghi lead (văn thư)"))
    if actions.quarantine:
        problems.append(Problem(file, line, "fallback", "[fallback] không được cách ly (quarantine)"))
    return actions


def _check_reachable(rules: list[Rule], problems: list[Problem]) -> None:
    """A rule after one that matches everything and stops can never run."""
    blocker = None
    for rule in rules:
        if blocker is not None:
            problems.append(Problem(rule.file, rule.line, f"luật {rule.name}",
                                    f"không bao giờ chạy tới: luật {blocker.name} ({blocker.file}:{blocker.line}) "
                                    f"không có điều kiện và dừng (stop)"))
        elif not rule.conditions and rule.actions.stop:
            blocker = rule
