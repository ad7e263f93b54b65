"""Working-day deadlines across Tết (lunar calendar), Giỗ Tổ, 30/4–1/5 and 2/9, with announced extra days."""

from __future__ import annotations

import datetime as dt

import pytest

from gateway.core.errors import ConfigError
from gateway.routing.workdays import WorkCalendar, load_calendar

D = dt.date


@pytest.mark.parametrize("start,days,due", [
    (D(2026, 2, 13), 1, D(2026, 2, 23)),   # Fri before Tết Bính Ngọ: 16–20/2 off, then the weekend
    (D(2026, 2, 12), 3, D(2026, 2, 24)),
    (D(2027, 2, 3), 1, D(2027, 2, 11)),    # Tết Đinh Mùi: 4–10/2/2027 (lunar), so Thu 11/2 is next
    (D(2027, 2, 3), 2, D(2027, 2, 12)),
    (D(2026, 4, 24), 1, D(2026, 4, 28)),   # Giỗ Tổ 10/3 âm lịch = Sun 26/4/2026, observed Mon 27/4
    (D(2026, 4, 29), 1, D(2026, 5, 4)),    # 30/4 Thu and 1/5 Fri off, then the weekend
    (D(2027, 4, 29), 1, D(2027, 5, 4)),    # 30/4 Fri; 1/5/2027 is a Saturday, so Mon 3/5 is off in lieu
    (D(2026, 8, 28), 1, D(2026, 9, 3)),    # 2/9/2026 with 1/9 and the 31/8 bridge day
    (D(2027, 9, 1), 1, D(2027, 9, 6)),     # 2–3/9/2027 off, then the weekend
    (D(2026, 3, 2), 0, D(2026, 3, 2)),
])
def test_deadlines_skip_weekends_and_holidays(start, days, due) -> None:
    assert WorkCalendar().add_working_days(start, days) == due


def test_tet_and_gio_to_come_from_the_lunar_calendar() -> None:
    calendar = WorkCalendar()
    assert not calendar.is_working_day(D(2026, 2, 17))  # mùng 1 Tết Bính Ngọ
    assert not calendar.is_working_day(D(2027, 2, 6 + 2))  # mùng 3 Tết Đinh Mùi (Mon)
    assert not calendar.is_working_day(D(2027, 4, 16))  # Giỗ Tổ 2027 (Fri)
    assert calendar.is_working_day(D(2026, 2, 23)) and calendar.is_working_day(D(2027, 4, 15))


def test_extra_days_off_and_compensating_working_days_from_the_calendar_file(tmp_path) -> None:
    path = tmp_path / "calendar.toml"
    path.write_text('days_off = [2026-02-23, "2026-02-24"]\nworking_days = ["2026-03-07"]\n', encoding="utf-8")
    calendar = load_calendar(path)
    assert calendar.add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 25)  # the announced extension of Tết
    assert calendar.is_working_day(D(2026, 3, 7))  # a Saturday worked in exchange
    assert calendar.add_working_days(D(2026, 3, 6), 1) == D(2026, 3, 7)
    assert calendar.holiday_name(D(2026, 2, 23)) == "day off"


def test_a_wrong_calendar_file_is_a_config_error(tmp_path) -> None:
    path = tmp_path / "calendar.toml"
    path.write_text('days_off = ["30/4/2026"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="not a date"):
        load_calendar(path)
    path.write_text('holidays = []\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown key"):
        load_calendar(path)
