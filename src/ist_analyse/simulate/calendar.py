"""Office calendar of the simulation: working time, public hours, Hessian holidays.

The simulation clock counts minutes of local wall-clock time from midnight of its first day
(the origin). Staff only work in office hours: a task that does not fit before closing continues
on the next working day; customers are only received in public hours. Public holidays come from
the maintained ``holidays`` package (Hessen by default), so Easter, Ascension, Whit Monday and
Corpus Christi fall on the right dates in every year.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right

import holidays

from ist_analyse.simulate.params import OfficeHours

DAY = 1440.0


class OfficeCalendar:
    """Working and public hours for every day from ``origin`` for ``days`` days.

    Example:
        >>> cal = OfficeCalendar(dt.date(2024, 12, 23), 10)
        >>> cal.is_open(0), cal.is_open(1), cal.is_open(2)  # Mon, 24.12. closed, 25.12. holiday
        (True, False, False)
        >>> cal.to_datetime(cal.next_work(16 * 60 + DAY * 0))  # after closing on Monday
        datetime.datetime(2024, 12, 27, 7, 30)
    """

    def __init__(self, origin: dt.date, days: int, hours: OfficeHours | None = None) -> None:
        self.origin = origin
        self.hours = hours or OfficeHours()
        self.days = days + 7  # room for searches past the end
        years = range(origin.year, (origin + dt.timedelta(days=self.days)).year + 1)
        hol = holidays.country_holidays("DE", subdiv=self.hours.holiday_subdivision,
                                        years=list(years))
        closed = set(self.hours.closed_days)
        self.open_: list[float] = []
        self.close_: list[float] = []
        self.public: list[tuple[tuple[int, int], ...]] = []
        self.holiday_names: dict[dt.date, str] = {}
        for d in range(self.days):
            day = origin + dt.timedelta(days=d)
            wd = day.weekday()
            shut = day in hol or day.strftime("%d.%m.") in closed
            if shut and day in hol:
                self.holiday_names[day] = str(hol.get(day))
            o, c = self.hours.work[wd]
            if shut or c <= o:
                self.open_.append(-1.0)
                self.close_.append(-1.0)
                self.public.append(())
            else:
                self.open_.append(float(o))
                self.close_.append(float(c))
                self.public.append(self.hours.public[wd])
        # next open day / next public day at or after d (sentinel: self.days)
        self.next_open = [self.days] * (self.days + 1)
        self.next_pub = [self.days] * (self.days + 1)
        for d in range(self.days - 1, -1, -1):
            self.next_open[d] = d if self.open_[d] >= 0 else self.next_open[d + 1]
            self.next_pub[d] = d if self.public[d] else self.next_pub[d + 1]
        # public minutes per day and the cumulative sum (appointment slot supply)
        self.public_minutes = [sum(e - s for s, e in w) for w in self.public]
        self._work_days = [d for d in range(self.days) if self.open_[d] >= 0]

    # ---- conversions --------------------------------------------------------------------

    def to_datetime(self, t: float) -> dt.datetime:
        """Local wall-clock time of simulation minute ``t`` (whole minutes)."""
        return dt.datetime.combine(self.origin, dt.time()) + dt.timedelta(minutes=int(t))

    def minute_of(self, when: dt.date | dt.datetime) -> float:
        """Simulation minute of a local date (midnight) or datetime."""
        if not isinstance(when, dt.datetime):
            when = dt.datetime.combine(when, dt.time())
        delta = when - dt.datetime.combine(self.origin, dt.time())
        return delta.total_seconds() / 60.0

    def date_of(self, t: float) -> dt.date:
        return self.origin + dt.timedelta(days=int(t // DAY))

    # ---- queries ------------------------------------------------------------------------

    def is_open(self, day: int) -> bool:
        return self.open_[day] >= 0

    def _clamp(self, day: int) -> int:
        if day >= self.days:
            raise IndexError("simulation ran past the end of its calendar")
        return day

    def next_work(self, t: float) -> float:
        """The first moment at or after ``t`` when staff work."""
        d = int(t // DAY)
        while True:
            d = self.next_open[self._clamp(d)]
            base = d * DAY
            start = base + self.open_[self._clamp(d)]
            if t < start:
                return start
            if t < base + self.close_[d]:
                return t
            d += 1

    def add_work(self, t: float, minutes: float) -> float:
        """When a task of ``minutes`` working minutes started at ``t`` is done.

        Work stops at closing time and goes on at the next opening (weekends, holidays).
        """
        t = self.next_work(t)
        while True:
            d = int(t // DAY)
            end = d * DAY + self.close_[d]
            if t + minutes <= end:
                return t + minutes
            minutes -= end - t
            t = self.next_work(end)

    def next_public(self, t: float) -> tuple[float, float]:
        """The public-hours window open at ``t`` or the next one: (start, end) with start >= t
        only if the office is closed to the public at ``t``."""
        d = int(t // DAY)
        while True:
            d = self.next_pub[self._clamp(d)]
            base = d * DAY
            for s, e in self.public[d]:
                if t < base + e:
                    return max(t, base + s), base + e
            d += 1

    def public_window_at(self, day: int, fraction: float) -> float:
        """The minute at ``fraction`` (0..1) of the public time of ``day`` (open public day)."""
        wins = self.public[day]
        total = self.public_minutes[day]
        x = fraction * total
        for s, e in wins:
            if x < e - s:
                return day * DAY + s + x
            x -= e - s
        s, e = wins[-1]
        return day * DAY + e - 1

    def add_working_days(self, t: float, n: float) -> float:
        """Midnight of the day that is ``n`` (rounded up) working days after the day of ``t``."""
        d = int(t // DAY)
        i = bisect_right(self._work_days, d)
        k = i + max(0, int(-(-n // 1)) - 1)
        if k >= len(self._work_days):
            raise IndexError("simulation ran past the end of its calendar")
        return self._work_days[k] * DAY
