"""The conditions a rule may test, each compiled from its rule-file value into a test that says why it held."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass

from gateway.core.domains import domain_matches, domain_of
from gateway.core.text import fold
from gateway.routing.facts import SEARCH_FIELD_NAMES, SEARCH_FIELDS, Facts, fold_words

URGENCY_LEVELS = {"thuong": 0, "khan": 1, "thuong khan": 2, "hoa toc": 3}
SECRECY_LEVELS = {"thuong": 0, "mat": 1, "toi mat": 2, "tuyet mat": 3}
SIGNATURES = ("valid", "invalid", "unsigned", "unknown")
SIGNATURE_NAMES = {"valid": "hợp lệ", "invalid": "không hợp lệ", "unsigned": "không ký", "unknown": "không rõ"}
NONE = "(không có)"


def _fields(names) -> str:
    """Search fields as people read them (trich_yeu → trích yếu)."""
    return ", ".join(SEARCH_FIELD_NAMES.get(name, name) for name in ([names] if isinstance(names, str) else names))


@dataclass(frozen=True)
class Outcome:
    """Whether a condition held, and the fact that decided it (shown by `gateway rules explain`)."""

    held: bool
    why: str


Test = Callable[[Facts, tuple[str, ...]], Outcome]  # (facts, fields to search) -> outcome


class ConditionError(ValueError):
    """A condition's value is wrong (the message names the problem, the loader adds file, line and rule)."""


def _strings(value, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConditionError(f"{what} phải là một chuỗi hoặc danh sách chuỗi không rỗng")
    return tuple(v.strip() for v in value)


def _glob_test(values: tuple[str, ...], pick: Callable[[Facts], tuple[str, ...]], label: str) -> Test:
    patterns = tuple(v.lower() for v in values)

    def test(facts: Facts, _fields) -> Outcome:
        candidates = pick(facts)
        for candidate in candidates:
            for pattern in patterns:
                if fnmatch.fnmatchcase(candidate, pattern):
                    return Outcome(True, f"{label} {candidate} khớp {pattern}")
        shown = ", ".join(candidates) or NONE
        return Outcome(False, f"{label} {shown} không khớp mẫu nào trong {', '.join(patterns)}")

    return test


def _sender(value) -> Test:
    return _glob_test(_strings(value, "sender"), lambda f: (f.sender,) if f.sender else (), "người gửi")


def _sender_domain(value) -> Test:
    """The sender's domain under one of the patterns, by the one domain rule ("*.gov.vn" takes gov.vn too)."""
    patterns = tuple(v.lower() for v in _strings(value, "sender_domain"))

    def test(facts: Facts, _fields) -> Outcome:
        domain = domain_of(facts.sender)
        for pattern in patterns:
            if domain_matches(domain, pattern):
                return Outcome(True, f"tên miền người gửi {domain} khớp {pattern}")
        return Outcome(False, f"tên miền người gửi {domain or NONE} không khớp mẫu nào trong {', '.join(patterns)}")

    return test


def _recipient(value) -> Test:
    return _glob_test(_strings(value, "recipient"), lambda f: f.recipients, "người nhận")


def _organ(value) -> Test:
    """Agency name, insensitive to case and accents; "*" globs allowed ("uy ban nhan dan tinh *")."""
    patterns = tuple(fold_words(v) for v in _strings(value, "organ"))

    def test(facts: Facts, _fields) -> Outcome:
        name = fold_words(facts.organ_name)
        for pattern in patterns:
            if name and fnmatch.fnmatchcase(name, pattern):
                return Outcome(True, f"cơ quan ban hành {facts.organ_name!r} khớp {pattern!r}")
        return Outcome(False, f"cơ quan ban hành {facts.organ_name or '(không rõ)'!r} không khớp mẫu nào trong "
                              f"{', '.join(map(repr, patterns))}")

    return test


def _organ_id(value) -> Test:
    codes = tuple(v.lower() for v in _strings(value, "organ_id"))

    def test(facts: Facts, _fields) -> Outcome:
        held = facts.organ_id.strip().lower() in codes
        verb = "thuộc" if held else "không thuộc"
        return Outcome(held, f"OrganId {facts.organ_id or NONE!r} {verb} {', '.join(codes)}")

    return test


def _doc_type(value) -> Test:
    """Tên loại by name (accent-insensitive) or by its code (CV, QĐ, TB ...)."""
    wanted = tuple(fold_words(v) for v in _strings(value, "type"))

    def test(facts: Facts, _fields) -> Outcome:
        have = {x for x in (fold_words(facts.type_name), fold_words(facts.type_code)) if x}
        for item in wanted:
            if item in have:
                return Outcome(True, f"tên loại {facts.type_name or facts.type_code!r} khớp {item!r}")
        return Outcome(False, f"tên loại {facts.type_name or facts.type_code or '(không rõ)'!r} không khớp mẫu nào "
                              f"trong {', '.join(map(repr, wanted))}")

    return test


def _word_pattern(keyword: str) -> re.Pattern:
    return re.compile(r"(?<!\w)" + re.escape(fold_words(keyword)) + r"(?!\w)")


def _search(facts: Facts, fields: tuple[str, ...], pattern: re.Pattern) -> str:
    """The first field in which ``pattern`` occurs, or ""."""
    for name in fields:
        if pattern.search(facts.folded[name]):
            return name
    return ""


def _keywords_any(value) -> Test:
    words = _strings(value, "keywords_any")
    patterns = [(w, _word_pattern(w)) for w in words]

    def test(facts: Facts, fields) -> Outcome:
        for word, pattern in patterns:
            where = _search(facts, fields, pattern)
            if where:
                return Outcome(True, f"có từ khoá {word!r} trong {_fields(where)}")
        return Outcome(False, f"không có từ khoá nào trong {', '.join(map(repr, words))} ở {_fields(fields)}")

    return test


def _keywords_all(value) -> Test:
    words = _strings(value, "keywords_all")
    patterns = [(w, _word_pattern(w)) for w in words]

    def test(facts: Facts, fields) -> Outcome:
        for word, pattern in patterns:
            if not _search(facts, fields, pattern):
                return Outcome(False, f"không có từ khoá {word!r} trong {_fields(fields)}")
        return Outcome(True, f"có đủ các từ khoá {', '.join(map(repr, words))}")

    return test


def fold_pattern(pattern: str) -> str:
    """A regex folded like the text it runs on, leaving escapes (\\D, \\S, \\W …) as written."""
    out, escaped = [], False
    for char in pattern:
        out.append(char if escaped else fold(char))
        escaped = not escaped and char == "\\"
    return "".join(out)


def _regex(value) -> Test:
    sources = _strings(value, "regex")
    compiled = []
    for source in sources:
        try:
            compiled.append((source, re.compile(fold_pattern(source), re.IGNORECASE)))
        except re.error as err:
            raise ConditionError(f"regex {source!r} không phải biểu thức chính quy hợp lệ "
                                 f"(chi tiết kỹ thuật: {err})") from None

    def test(facts: Facts, fields) -> Outcome:
        for source, pattern in compiled:
            where = _search(facts, fields, pattern)
            if where:
                return Outcome(True, f"biểu thức {source!r} khớp trong {_fields(where)}")
        return Outcome(False, f"biểu thức {', '.join(map(repr, sources))} không khớp gì trong {_fields(fields)}")

    return test


def _level(value, names: dict[str, int], what: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 3:
        return value
    if isinstance(value, str) and fold_words(value) in names:
        return names[fold_words(value)]
    raise ConditionError(f"{what} phải là 0..3 hoặc một trong {', '.join(names)} (có dấu hay không đều được), "
                         f"không phải {value!r}")


def _level_at_least(value, names: dict, key: str, label: str, attribute: str) -> Test:
    level = _level(value, names, key)

    def test(facts: Facts, _fields) -> Outcome:
        actual = getattr(facts, attribute)
        return Outcome(actual >= level, f"{label} {actual} {'>=' if actual >= level else '<'} {level}")

    return test


def _urgency_at_least(value) -> Test:
    return _level_at_least(value, URGENCY_LEVELS, "urgency_at_least", "độ khẩn", "urgency")


def _secrecy_at_least(value) -> Test:
    return _level_at_least(value, SECRECY_LEVELS, "secrecy_at_least", "độ mật", "secrecy")


def _signature(value) -> Test:
    wanted = tuple(v.lower() for v in _strings(value, "signature"))
    wrong = [v for v in wanted if v not in SIGNATURES]
    if wrong:
        raise ConditionError(f"signature phải thuộc {', '.join(SIGNATURES)}, "
                             f"không phải {', '.join(map(repr, wrong))}")

    def test(facts: Facts, _fields) -> Outcome:
        status = facts.signature or "unknown"
        names = ", ".join(SIGNATURE_NAMES.get(w, w) for w in wanted)
        return Outcome(status in wanted, f"chữ ký số {SIGNATURE_NAMES.get(status, status)} "
                                         f"{'thuộc' if status in wanted else 'không thuộc'} {names}")

    return test


def _attachment_type(value) -> Test:
    wanted = tuple(v.lower().lstrip(".") for v in _strings(value, "attachment_type"))

    def test(facts: Facts, _fields) -> Outcome:
        found = sorted(set(wanted) & facts.attachment_types)
        if found:
            return Outcome(True, f"có tệp {found[0]}")
        return Outcome(False, f"các tệp là {', '.join(sorted(facts.attachment_types)) or NONE}, "
                              f"không phải {', '.join(wanted)}")

    return test


CONDITIONS: dict[str, Callable[[object], Test]] = {
    "sender": _sender,
    "sender_domain": _sender_domain,
    "recipient": _recipient,
    "organ": _organ,
    "organ_id": _organ_id,
    "type": _doc_type,
    "keywords_any": _keywords_any,
    "keywords_all": _keywords_all,
    "regex": _regex,
    "urgency_at_least": _urgency_at_least,
    "secrecy_at_least": _secrecy_at_least,
    "signature": _signature,
    "attachment_type": _attachment_type,
}
# Not a condition: where keywords_any, keywords_all and regex look (default: all of SEARCH_FIELDS).
SEARCH_IN = "search_in"


def compile_search_in(value) -> tuple[str, ...]:
    fields = _strings(value, SEARCH_IN)
    wrong = [f for f in fields if f not in SEARCH_FIELDS]
    if wrong:
        raise ConditionError(f"search_in chỉ được ghi {', '.join(SEARCH_FIELDS)}, "
                             f"không phải {', '.join(map(repr, wrong))}")
    return fields
