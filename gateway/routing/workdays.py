"""Working days of a Vietnamese agency: weekends, public holidays (Tết and Giỗ Tổ by the lunar calendar) and
the extra days off and compensating working days announced each year, for deadlines in working days."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import holidays

from gateway.core.errors import ConfigError


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are worked: Monday–Friday minus holidays and ``days_off``, plus ``working_days``."""

    days_off: frozenset[dt.date] = frozenset()  # announced extra days off (e.g. the days bridging Tết)
    working_days: frozenset[dt.date] = frozenset()  # Saturdays worked in exchange (ngày làm bù)
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    def _holidays(self, year: int) -> holidays.HolidayBase:
        if year not in self._cache:
            self._cache[year] = holidays.country_holidays("VN", years=year)
        return self._cache[year]

    def holiday_name(self, day: dt.date) -> str:
        """The holiday's name, "day off" for an announced one, or "" on a day that is not a holiday."""
        if day in self.days_off:
            return "day off"
        return self._holidays(day.year).get(day, "") or ""

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.working_days:
            return True
        if day.weekday() >= 5 or day in self.days_off:
            return False
        return day not in self._holidays(day.year)

    def add_working_days(self, start: dt.date, count: int) -> dt.date:
        """The date ``count`` working days after ``start`` (start itself does not count; 0 gives ``start``)."""
        if count < 0:
            raise ValueError("count must be 0 or more")
        day = start
        while count:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                count -= 1
        return day


def load_calendar(path: str | Path | None) -> WorkCalendar:
    """A calendar with the extra days from a TOML file (``days_off = [...]``, ``working_days = [...]``), or none."""
    if not path:
        return WorkCalendar()
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the calendar file: {err}") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from err
    unknown = set(data) - {"days_off", "working_days"}
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}; known: days_off, working_days")
    return WorkCalendar(_dates(path, data, "days_off"), _dates(path, data, "working_days"))


def _dates(path: Path, data: dict, key: str) -> frozenset[dt.date]:
    values = data.get(key, [])
    if not isinstance(values, list):
        raise ConfigError(f"{path}: {key} must be a list of dates")
    out = set()
    for value in values:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            out.add(value)
            continue
        try:
            out.add(dt.date.fromisoformat(str(value)))
        except ValueError:
            raise ConfigError(f"{path}: {key}: {value!r} is not a date (YYYY-MM-DD)") from None
    return frozenset(out)
