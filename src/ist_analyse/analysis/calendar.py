"""Office days: durations that skip weekends and the public holidays of a German Land.

Legal deadlines run in calendar days, staff work on office days, and a wait from Friday
afternoon to Monday morning says little about the office. ``--working-days`` therefore measures
time as the part of an interval that falls on office days (Monday to Friday, not a public holiday
of the chosen Land), in local wall-clock time: an office day counts fully (24 h = 1 day, opening
hours are not modelled); weekends and holidays count not at all. A wait from Friday 16:00 to
Monday 10:00 is 8 h + 10 h = 0.75 office days. Everything is vectorised with numpy's business-day
functions; no Python loop runs per event.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from ist_analyse.errors import ConfigError

if TYPE_CHECKING:  # numpy is imported where it is used: the Polars-only KPI path never needs it
    import numpy as np

#: the 16 Länder as ISO 3166-2:DE subdivision codes (the ``holidays`` package uses them)
LAENDER = {
    "BB": "Brandenburg", "BE": "Berlin", "BW": "Baden-Württemberg", "BY": "Bayern",
    "HB": "Bremen", "HE": "Hessen", "HH": "Hamburg", "MV": "Mecklenburg-Vorpommern",
    "NI": "Niedersachsen", "NW": "Nordrhein-Westfalen", "RP": "Rheinland-Pfalz",
    "SH": "Schleswig-Holstein", "SL": "Saarland", "SN": "Sachsen", "ST": "Sachsen-Anhalt",
    "TH": "Thüringen",
}
DEFAULT_LAND = "HE"
_DAY_US = 86_400_000_000


def check_land(land: str) -> str:
    """Return the upper-case Land code or raise a ConfigError listing the valid ones."""
    code = str(land).strip().upper()
    if code not in LAENDER:
        raise ConfigError(f"unknown Land '{land}'",
                          hint="use one of " + ", ".join(sorted(LAENDER)) + " (e.g. HE)")
    return code


@lru_cache(maxsize=64)
def public_holidays(land: str, first_year: int, last_year: int) -> np.ndarray:
    """Public holidays of ``land`` in the given years as a sorted ``datetime64[D]`` array."""
    import holidays
    import numpy as np

    code = check_land(land)
    days = holidays.country_holidays("DE", subdiv=code,
                                     years=range(first_year, last_year + 1))
    return np.array(sorted(days.keys()), dtype="datetime64[D]")


def office_days(start: np.ndarray, end: np.ndarray, holidays: np.ndarray) -> np.ndarray:
    """Office-day length of each interval ``[start, end]`` (local naive ``datetime64``).

    Args:
        start, end: arrays of local wall-clock times (``datetime64[us]``), ``end >= start``.
        holidays: ``datetime64[D]`` dates that are not office days besides weekends.

    Returns:
        float64 days; NaN where either end is missing.
    """
    import numpy as np

    start = np.asarray(start, dtype="datetime64[us]")
    end = np.asarray(end, dtype="datetime64[us]")
    missing = np.isnat(start) | np.isnat(end)
    # NaT would make busday_count fail: compute on a harmless placeholder, blank afterwards
    start = np.where(missing, np.datetime64("2000-01-03T00:00", "us"), start)
    end = np.where(missing, np.datetime64("2000-01-03T00:00", "us"), end)
    d0 = start.astype("datetime64[D]")
    d1 = end.astype("datetime64[D]")
    busy0 = np.is_busday(d0, holidays=holidays)
    busy1 = np.is_busday(d1, holidays=holidays)
    same = d0 == d1
    one = np.timedelta64(1, "D")
    # first (partial) day, whole days in between, last (partial) day
    head = ((d0 + one).astype("datetime64[us]") - start).astype(np.int64) / _DAY_US
    tail = (end - d1.astype("datetime64[us]")).astype(np.int64) / _DAY_US
    inner = np.busday_count(d0 + one, np.maximum(d1, d0 + one), holidays=holidays)
    within = (end - start).astype(np.int64) / _DAY_US
    days = np.where(same, busy0 * within, busy0 * head + inner + busy1 * tail)
    days = days.astype(np.float64)
    days[missing] = np.nan
    return days
