"""The discrete-event model of the residence-permit process (SimPy).

How waiting emerges from load
-----------------------------
Nothing in here is a random waiting time. Staff are SimPy resources per role, with queues in
front of them; customers and files wait for a free person. The parts:

- **Servicepoint** (``SP``), **Sachbearbeitung** (``SB``) and **Teamleitung** (``TL``) are
  :class:`Pool`\\ s: a ``PriorityResource`` with one unit per person, whose available capacity
  follows the staff's working time for title cases day by day (absences, part-time, the
  onboarding of new staff are "blockers" that hold units with the highest priority). Work
  happens in office hours only: a task that does not fit before closing continues the next
  working day (:mod:`.calendar`); nobody is served after closing time.
- The **counter** has desks for appointments and desks for walk-ins (:class:`Counter`), open
  in public hours; a customer at a desk is served by the next free SB person, ahead of
  back-office work, so counter and back office share the same staff. Walk-ins not called by
  the end of public hours are sent home (they come back early another day, or book).
- **Appointments** come from an :class:`AppointmentBook`: the lead time is the time until the
  first free slot, so it grows when more customers ask for appointments than there are
  slots. When it exceeds a target, the office adds extra slots (staffed by SB, who then miss
  in the back office), so the lead time settles where supply meets demand.
- **Back-office work** (completeness checks, requests, decisions, eAT orders, closing) waits
  in the SB queue. Short tasks go first; checks and decisions are served in order of arrival.
  An office whose nominal workload exceeds its capacity does not explode in reality: staff
  shift time from other duties and cut touch times under pressure. So the touch time of
  back-office tasks is multiplied by ``max(min_factor, 1 / (1 + (W / W0)^2))``, where ``W``
  is the age of the oldest waiting file: a stable backlog forms whose size grows with load
  (``W ~ W0 * sqrt(load / capacity - 1)``) and that settles within weeks, instead of a
  knife-edge queue that explodes or vanishes with small changes of load.
- **External parties** (BA, security authorities via BVA, Bundesdruckerei, recognition body)
  are delays with their own distributions, and the **legal fictions** are exact: BA consent is
  deemed granted 14 days after the request (7 days in §81a) if the BA has not answered.

More arrivals or fewer staff therefore give longer queues, longer lead times and more
applications that are decided after the old title expired, with no change to any delay
parameter (tests check this).

Records are kept as flat lists (one entry per event) and turned into a DataFrame once.
"""

from __future__ import annotations

import math
import random
from bisect import insort_right
from collections.abc import Callable, Generator
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import simpy
from simpy.resources.resource import SortedQueue

from ist_analyse.simulate.calendar import DAY, OfficeCalendar
from ist_analyse.simulate.params import (
    Dist,
    LogNormal,
    Params,
    Scenario,
    Triangular,
    Uniform,
)

# ---- activities (domain.md §9, exactly these names) ------------------------------------------

TERMINANFRAGE = "Terminanfrage gestellt"
TERMIN_VERGEBEN = "Termin vergeben"
NO_SHOW = "Termin nicht wahrgenommen"
CHECK_IN = "Vorsprache/Check-in"
ANTRAG = "Antrag eingegangen"
FIKTION = "Fiktionsbescheinigung ausgestellt"
PRUEFUNG = "Vollständigkeitsprüfung"
NACHGEFORDERT = "Unterlagen nachgefordert"
NACHGEREICHT = "Unterlagen nachgereicht"
SACHSTAND = "Sachstandsanfrage"
BIOMETRIE = "Biometrie erfasst"
SICHERHEIT_GESTELLT = "Sicherheitsabfrage gestellt"
SICHERHEIT_ERGEBNIS = "Sicherheitsabfrage Ergebnis"
BA_ANGEFRAGT = "BA-Zustimmung angefragt"
BA_ERTEILT = "BA-Zustimmung erteilt"
BA_FINGIERT = "BA-Zustimmung fingiert"
BA_VERSAGT = "BA-Zustimmung versagt"
VEREINBARUNG = "Vereinbarung geschlossen"
ANERKENNUNG_EINGELEITET = "Anerkennung eingeleitet"
ANERKENNUNGSBESCHEID = "Anerkennungsbescheid"
VORABZUSTIMMUNG = "Vorabzustimmung erteilt"
ANHOERUNG = "Anhörung versandt"
ERTEILUNG = "Entscheidung Erteilung"
ABLEHNUNG = "Entscheidung Ablehnung"
GEBUEHR = "Gebühr bezahlt"
EAT_BESTELLT = "eAT bestellt"
EAT_GELIEFERT = "eAT geliefert"
EAT_AUSGEHAENDIGT = "eAT ausgehändigt"
ABGESCHLOSSEN = "Vorgang abgeschlossen"

ACTIVITIES: tuple[str, ...] = (
    TERMINANFRAGE, TERMIN_VERGEBEN, NO_SHOW, CHECK_IN, ANTRAG, FIKTION, PRUEFUNG,
    NACHGEFORDERT, NACHGEREICHT, SACHSTAND, BIOMETRIE, SICHERHEIT_GESTELLT,
    SICHERHEIT_ERGEBNIS, BA_ANGEFRAGT, BA_ERTEILT, BA_FINGIERT, BA_VERSAGT, VEREINBARUNG,
    ANERKENNUNG_EINGELEITET, ANERKENNUNGSBESCHEID, VORABZUSTIMMUNG, ANHOERUNG, ERTEILUNG,
    ABLEHNUNG, GEBUEHR, EAT_BESTELLT, EAT_GELIEFERT, EAT_AUSGEHAENDIGT, ABGESCHLOSSEN)
_ACT = {a: i for i, a in enumerate(ACTIVITIES)}

ROLES: tuple[str, ...] = (
    "Servicepoint", "Sachbearbeitung", "Teamleitung", "System", "Kunde",
    "Bundesagentur für Arbeit", "Sicherheitsbehörden", "Bundesdruckerei", "Anerkennungsstelle")
R_SP, R_SB, R_TL, R_SYS, R_KUNDE, R_BA, R_SEC, R_BDR, R_ANERK = range(len(ROLES))
_POOL_ROLE = {"SP": R_SP, "SB": R_SB, "TL": R_TL}
SYSTEM = "SYSTEM"

#: customers act between 6:00 and 23:00 (no DST ambiguity, no events at night)
_CUSTOMER_FROM, _CUSTOMER_TO = 360.0, 1380.0


def draw(rng: random.Random, dist: Dist) -> float:
    """One value of ``dist``."""
    if isinstance(dist, LogNormal):
        x = rng.lognormvariate(math.log(dist.median), dist.sigma)
        return x if dist.cap is None or x <= dist.cap else dist.cap
    if isinstance(dist, Uniform):
        return rng.uniform(dist.low, dist.high)
    if isinstance(dist, Triangular):
        return rng.triangular(dist.low, dist.high, dist.mode)
    raise TypeError(f"not a distribution: {dist!r}")


def choose(rng: random.Random, mix: tuple[tuple[str, float], ...]) -> str:
    u = rng.random()
    acc = 0.0
    for name, p in mix:
        acc += p
        if u < acc:
            return name
    return mix[-1][0]


def customer_time(t: float) -> float:
    """Move a customer's action at night into 6:00-23:00 (order within a night is kept)."""
    day = t // DAY
    tod = t - day * DAY
    if tod < _CUSTOMER_FROM:
        return day * DAY + _CUSTOMER_FROM + tod / _CUSTOMER_FROM * 60.0
    if tod >= _CUSTOMER_TO:
        return (day + 1) * DAY + _CUSTOMER_FROM + (tod - _CUSTOMER_TO) / 60.0 * 60.0
    return t


# ---- cases ----------------------------------------------------------------------------------

class Case:
    """One residence-title case (Vorgang) and what the simulation knows about it."""

    __slots__ = (
        "age",
        "antrag",
        "bio_done",
        "channel",
        "closed",
        "decided",
        "expiry",
        "fiktion_until",
        "first",
        "id",
        "incomplete",
        "late",
        "needs_ba",
        "needs_security",
        "new",
        "no",
        "order_before_fee",
        "ordered",
        "p",
        "procedure",
        "purpose",
        "record",
        "region",
        "reject",
        "rng",
        "simple",
        "skip_hearing",
    )

    def __init__(self, no: int, case_id: str, rng: random.Random, p: Params, new: bool) -> None:
        self.no = no
        self.id = case_id
        self.rng = rng
        self.p = p
        self.new = new
        self.record: bool | None = None
        self.first: float | None = None
        self.antrag: float | None = None
        self.decided: float | None = None
        self.closed: float | None = None
        self.bio_done = False
        self.ordered = False
        self.incomplete = False
        self.fiktion_until: float | None = None
        self.reject: str | None = None


@dataclass
class Records:
    """The event records of the simulation, one entry per event in each list."""

    case: list[int]
    act: list[int]
    t: list[float]
    res: list[str | None]
    role: list[int]
    date_only: list[bool]


# ---- staff ------------------------------------------------------------------------------------

_KEY = attrgetter("key")


class _InsortQueue(SortedQueue):
    """SimPy's priority queue re-sorts the whole list on every request, which is quadratic
    with a back-office backlog of thousands of files; inserting by bisection keeps the same
    order (priority, then request time, first come first served) in O(log n) comparisons."""

    def append(self, item: Any) -> None:
        if self.maxlen is not None and len(self) >= self.maxlen:
            raise RuntimeError("Cannot append event. Queue is full.")
        insort_right(self, item, key=_KEY)


class Queue(simpy.PriorityResource):
    """A PriorityResource with the fast queue."""

    PutQueue = _InsortQueue


class Pool:
    """Staff of one role as a PriorityResource whose available persons vary by the day.

    Capacity is the largest head count ever needed. Persons not available on a day (absence,
    other duties, onboarding) are held by blocker processes with the highest priority, which
    go ahead of every task in the queue but never interrupt one. A fractional person
    (part-time, or a small office at ``scale`` < 1) is blocked for the same share of every
    two hours, so the remaining time is spread over the day and public hours are never
    empty.
    Priorities: -2 blockers, -1 customers on site, 0 short tasks, 1 checks and decisions.
    """

    def __init__(self, office: Office, prefix: str, fte: list[float], mean_task: float
                 ) -> None:
        self.office = office
        self.env = office.env
        self.cal = office.cal
        self.prefix = prefix
        self.role = _POOL_ROLE.get(prefix, R_SB)
        self.fte = fte
        self.capacity = max(1, math.ceil(max(fte) - 1e-9))
        self.res = Queue(self.env, capacity=self.capacity)
        self.ids = [f"{prefix}{i:02d}" for i in range(1, self.capacity + 1)]
        self.free = list(range(self.capacity))
        self.mean_task = mean_task
        self.day_minutes = 0.0
        self.busy_minutes = 0.0
        self.tasks = 0
        self.wait_minutes = 0.0
        self.avail_minutes = 0.0
        self.env.process(self._days())

    def take(self, last: bool = False) -> int:
        return self.free.pop() if last else self.free.pop(0)

    def give(self, i: int) -> None:
        free = self.free
        k = 0
        while k < len(free) and free[k] < i:
            k += 1
        free.insert(k, i)

    def factor(self, p: Params) -> float:
        """Work intensification: touch-time multiplier at the current backlog, measured as
        the age (calendar days) of the oldest file waiting for a check or decision."""
        now = self.env.now
        for req in self.res.queue:
            if req.priority >= 1:
                w = (now - req.time) / (DAY * p.pressure_wait_days)
                return max(p.pressure_min_factor, 1.0 / (1.0 + w * w))
        return 1.0

    def _days(self) -> Generator[Any, Any, None]:
        """Every working day: block absent persons all day; block a fractional person for
        the same share of every two hours, in one loop (cheaper than a process per block)."""
        cal, env = self.cal, self.env
        d = int(env.now // DAY)
        while True:
            d = cal.next_open[d]
            if d >= len(self.fte):
                return
            o, c = d * DAY + cal.open_[d], d * DAY + cal.close_[d]
            if env.now < o:
                yield env.timeout(o - env.now)
            fte = self.fte[d]
            self.day_minutes = max(30.0, fte * (c - o))
            self.avail_minutes += fte * (c - o)
            blocked = self.capacity - fte
            full = int(blocked + 1e-9)
            frac = blocked - full
            for _ in range(full):
                env.process(self._blocker(o, c))
            if frac > 0.02:
                h = o
                while h < c:
                    he = min(h + 120.0, c)
                    length = frac * (he - h)
                    start = he - length
                    if env.now < start:
                        yield env.timeout(start - env.now)
                    req = self.res.request(priority=-2)
                    yield req
                    i = self.take(last=True)
                    # a block that starts late (the person finished a task first) keeps
                    # its length, so the person's available time stays exact
                    end = min(env.now + length, c)
                    if env.now < end:
                        yield env.timeout(end - env.now)
                    self.res.release(req)
                    self.give(i)
                    h = he
            d += 1

    def _blocker(self, start: float, end: float) -> Generator[Any, Any, None]:
        env = self.env
        if env.now < start:
            yield env.timeout(start - env.now)
        req = self.res.request(priority=-2)
        yield req
        i = self.take(last=True)
        if env.now < end:
            yield env.timeout(end - env.now)
        self.res.release(req)
        self.give(i)


class Counter:
    """Desks of the counter, open in public hours (one set for appointments, one for
    walk-ins with a number from the call-up system).

    A customer at a desk is served by the next free SB person (who finishes the task at hand
    first), so counter work and back-office work share the same staff.
    """

    def __init__(self, office: Office, desks: list[int]) -> None:
        self.env = office.env
        self.cal = office.cal
        self.desks = desks
        self.capacity = max(1, max(desks))
        self.res = Queue(self.env, capacity=self.capacity)
        if min(desks) < self.capacity:
            self.env.process(self._days())

    def _days(self) -> Generator[Any, Any, None]:
        cal, env = self.cal, self.env
        d = int(env.now // DAY)
        while True:
            d = cal.next_pub[d]
            if d >= len(self.desks):
                return
            start = d * DAY
            if env.now < start:
                yield env.timeout(start - env.now)
            for _ in range(self.capacity - self.desks[d]):
                env.process(self._blocker(start, start + DAY))
            d += 1

    def _blocker(self, start: float, end: float) -> Generator[Any, Any, None]:
        req = self.res.request(priority=-2)
        yield req
        if self.env.now < end:
            yield self.env.timeout(end - self.env.now)
        self.res.release(req)


class AppointmentBook:
    """Appointment slots for counter visits.

    Each day has a base supply from the weekly slot rate. A request gets the first free slot
    on or after the earliest acceptable day, so the lead time is the backlog of booked slots.
    Offices react to a long lead time with extra appointments ("Zusatztermine", staffed by SB
    who then miss in the back office): every working morning, if the first free slot is more
    than ``target`` days away, extra slots go into the next days, in proportion to the
    excess. So the lead time settles where supply meets demand, about
    ``target * (1 + (demand / base - 1) / gain)``: it grows with load instead of exploding.
    """

    def __init__(self, cal: OfficeCalendar, slots_per_week: list[float],
                 params_of_day: list[Params]) -> None:
        self.cal = cal
        week_minutes = sum(sum(e - s for s, e in w) for w in cal.hours.public) or 1.0
        self.base = slots_per_week
        self.params = params_of_day
        self.cap: list[int] = []
        acc = 0.0
        for d in range(len(slots_per_week)):
            before = math.floor(acc)
            acc += slots_per_week[d] * cal.public_minutes[d] / week_minutes
            self.cap.append(math.floor(acc) - before)
        self.booked = [0] * len(self.cap)
        self.extra = 0.0  # fractional extra slots carried over
        self.extra_total = 0

    def first_free(self, d: int) -> int:
        cap, booked = self.cap, self.booked
        while booked[d] >= cap[d]:
            d += 1
            if d >= len(cap):
                raise IndexError("appointment book ran past the end of the simulation")
        return d

    def review(self, today: int) -> None:
        """Add extra slots at the booking frontier when the lead time is over target."""
        p = self.params[today]
        frontier = self.first_free(today + 1)
        over = frontier - today - p.appointment_lead_target_days
        if over <= 0:
            return
        weekly = self.base[today] * min(p.extra_slots_max,
                                        p.extra_slots_gain * over
                                        / p.appointment_lead_target_days)
        self.extra += weekly / 5.0
        n = int(self.extra)
        self.extra -= n
        d = frontier
        while n > 0 and d < len(self.cap):  # spread over the public days from the frontier
            d = self.cal.next_pub[d]
            if d >= len(self.cap):
                break
            add = min(n, max(1, -(-n // 3)))
            self.cap[d] += add
            self.extra_total += add
            n -= add
            d += 1

    def book(self, earliest: float) -> float:
        """Book the first free slot on or after the day of ``earliest``; return its time."""
        d = self.first_free(int(earliest // DAY))
        i = self.booked[d]
        self.booked[d] = i + 1
        return self.cal.public_window_at(d, (i + 0.5) / self.cap[d])


# ---- the office -----------------------------------------------------------------------------

class Office:
    """One simulation run: calendar, staff, appointment book, arrivals and the case processes.

    Args:
        scenario: what changes at the change date.
        cal: the office calendar from the origin (start of the warm-up).
        start, export, change: simulation minutes of the export window and the change date.
        seed: seeds every random stream; cases have their own stream (seed, case number), so
            two scenarios with the same seed share arrivals and customer behaviour up to the
            point where the process differs (common random numbers).
        scale: multiplies arrivals, staff and slots (0.1 = a tenth of a Wetterau-size office).
    """

    def __init__(self, scenario: Scenario, cal: OfficeCalendar, *, start: float,
                 export: float, change: float, seed: int, scale: float,
                 horizon_days: int) -> None:
        self.scenario = scenario
        self.p0, self.p1 = scenario.params()
        self.cal = cal
        self.start, self.export, self.change = start, export, change
        self.ramp = scenario.ramp_days * DAY
        self.seed = seed
        self.scale = scale
        self.env = simpy.Environment()
        self.horizon_days = horizon_days
        self.rec = Records([], [], [], [], [], [])
        self.cases: list[Case] = []
        self.year_counter: dict[int, int] = {}
        self.open_recorded = 0
        self.tail_open = 0
        self.arrivals_stopped: float | None = None
        self.stop = self.env.event()
        self.arrival_rng = random.Random(seed)
        days = range(horizon_days)
        change_day = int(change // DAY)
        pday = [self.p1 if d >= change_day else self.p0 for d in days]
        self._pday = pday
        self.rate = [self._arrival_rate(d, pday[d]) for d in days]
        self.sp = Pool(self, "SP", [self._fte(d, pday[d], "SP") for d in days], 6.0)
        self.sb = Pool(self, "SB", [self._fte(d, pday[d], "SB") for d in days], 25.0)
        self.tl = Pool(self, "TL", [self._fte(d, pday[d], "TL") for d in days], 15.0)
        # desks are furniture: a small office still has whole desks (rounded up)
        self.counter = Counter(self, [max(1, math.ceil(pday[d].counter_seats * scale - 1e-9))
                                      for d in days])
        self.walkin_desks = Counter(self, [math.ceil(pday[d].walkin_desks * scale - 1e-9)
                                           for d in days])
        self.book = AppointmentBook(cal, [pday[d].appointment_slots_per_week * scale
                                          for d in days], pday)
        self.env.process(self._reviews())
        self.env.process(self._arrivals())
        self.env.process(self._at_export())

    def _at_export(self) -> Generator[Any, Any, None]:
        yield self.env.timeout(self.export)
        recorded = sum(1 for c in self.cases if c.record)
        self.tail_open = max(3, int(0.002 * recorded))

    def _reviews(self) -> Generator[Any, Any, None]:
        """Every working morning the office looks at its appointment lead time."""
        env, cal = self.env, self.cal
        d = 0
        while d < self.horizon_days - 60:
            d = cal.next_open[d]
            t = d * DAY + cal.open_[d]
            if t > env.now:
                yield env.timeout(t - env.now)
            self.book.review(d)
            d += 1

    # ---- parameters in time ------------------------------------------------------------

    def p_at(self, t: float) -> Params:
        """Office-level parameters in force at minute ``t`` (they switch at the change)."""
        return self.p1 if t >= self.change else self.p0

    def _season(self, d: int, p: Params) -> float:
        if p.season_amplitude == 0:
            return 1.0
        day = self.cal.origin.toordinal() + d
        if p.season_trough_at_change:
            peak = self.cal.origin.toordinal() + self.change / DAY + 365.25 / 2
        else:
            import datetime as dt

            year_start = dt.date(dt.date.fromordinal(day).year, 1, 1).toordinal()
            peak = year_start + p.season_peak_doy
        return 1.0 + p.season_amplitude * math.cos(2 * math.pi * (day - peak) / 365.25)

    def _arrival_rate(self, d: int, p: Params) -> float:
        """Arrivals per minute on day ``d``."""
        return (p.cases_per_year / 365.25 / DAY * self.scale * p.arrival_factor
                * self._season(d, p))

    def _vacation(self, d: int, p: Params) -> float:
        if p.vacation_dip == 0:
            return 0.0
        day = self.cal.origin.toordinal() + d
        import datetime as dt

        date = dt.date.fromordinal(day)
        doy = date.timetuple().tm_yday
        # Hessian summer school holidays (about 3rd week of July to end of August) and the
        # days between Christmas and Epiphany: more staff on leave
        if 196 <= doy <= 240 or doy >= 356 or doy <= 5:
            return p.vacation_dip
        return 0.0

    def _fte(self, d: int, p: Params, pool: str) -> float:
        """Persons available for title cases on day ``d`` (fractional: part-time)."""
        away = 1.0 - self._vacation(d, p)
        if pool == "SP":
            return p.sp_staff * p.sp_share * self.scale * away
        if pool == "TL":
            return p.tl_staff * p.tl_share * self.scale
        fte = p.sb_staff * p.sb_share
        if p.hires:
            t = d * DAY
            progress = min(1.0, max(0.0, (t - self.change) / (p.onboarding_days * DAY)))
            if t >= self.change:
                productivity = (p.onboarding_start_productivity
                                + (1 - p.onboarding_start_productivity) * progress)
                fte += p.hires * p.hire_share * productivity
                if progress < 1.0:
                    fte -= p.hires * p.mentoring_fte_per_hire
        return max(0.05, fte * self.scale * away)

    # ---- records -------------------------------------------------------------------------

    def log(self, case: Case, act: str, t: float, res: str | None, role: int,
            date_only: bool = False) -> None:
        if case.record is None:  # the case system opens a file: Vorgangsnummer JJJJ-NNNNNN
            case.first = t
            case.record = self.start <= t < self.export
            year = self.cal.date_of(t).year
            k = self.year_counter.get(year, 0) + 1
            self.year_counter[year] = k
            case.id = f"{year}-{k:06d}"
            if case.record:
                self.open_recorded += 1
        if case.record:
            r = self.rec
            r.case.append(case.no)
            r.act.append(_ACT[act])
            r.t.append(t)
            r.res.append(res)
            r.role.append(role)
            r.date_only.append(date_only)

    # ---- work helpers ----------------------------------------------------------------------

    def work(self, pool: Pool, minutes: float, prio: int = 1
             ) -> Generator[Any, Any, tuple[str, int]]:
        """A back-office task: wait for a person, then work ``minutes`` in office hours
        (shortened under pressure). Returns (staff id, role); the task ends at ``env.now``."""
        env = self.env
        req = pool.res.request(priority=prio)
        asked = env.now
        yield req
        i = pool.take()
        now = env.now
        start = self.cal.next_work(now)
        minutes = max(1.0, minutes * pool.factor(self.p_at(now)))
        end = self.cal.add_work(start, minutes)
        pool.wait_minutes += start - asked
        pool.busy_minutes += minutes
        pool.tasks += 1
        yield env.timeout(end - now)
        pool.res.release(req)
        pool.give(i)
        return pool.ids[i], pool.role

    def serve_public(self, pool: Pool, minutes: float, prio: int = -1
                     ) -> Generator[Any, Any, tuple[str, float]]:
        """Serve a customer who is on site (Servicepoint), no pressure factor. People still
        waiting when public hours end are served until shortly before closing; the rest
        come back at the next opening. Returns (staff id, start of service); the service
        ends at ``env.now``."""
        env, cal = self.env, self.cal
        while True:
            d = int(env.now // DAY)
            close = d * DAY + cal.close_[d] if cal.open_[d] >= 0 else env.now
            if env.now < close - 5.0:
                req = pool.res.request(priority=prio)
                yield req | env.timeout(close - 5.0 - env.now)
                if req.triggered:
                    break
                req.cancel()
            start, _ = cal.next_public(max(close, env.now) + 1.0)
            yield env.timeout(start - env.now)
        i = pool.take()
        start = env.now
        minutes = min(minutes, close - start)  # done by closing time
        pool.busy_minutes += minutes
        pool.tasks += 1
        yield env.timeout(minutes)
        pool.res.release(req)
        pool.give(i)
        return pool.ids[i], start

    def days(self, case: Case, dist: Dist) -> float:
        return draw(case.rng, dist) * DAY

    # ---- arrivals ---------------------------------------------------------------------------

    def _arrivals(self) -> Generator[Any, Any, None]:
        """Non-homogeneous Poisson arrivals (thinning), until the end of the horizon."""
        env, rng = self.env, self.arrival_rng
        # a fixed bound (twice the nominal rate) keeps the same stream of candidate arrivals
        # in every scenario: a surge adds arrivals to those of the stationary office
        nominal = self.p0.cases_per_year / 365.25 / DAY * self.scale
        lam = max(2.0 * nominal, max(self.rate))
        end = (self.horizon_days - 60) * DAY
        t = 0.0
        while True:
            t += rng.expovariate(lam)
            if t >= end:
                return
            if rng.random() * lam > self.rate[int(t // DAY)]:
                continue
            if t > env.now:
                yield env.timeout(t - env.now)
            if t > self.export and self.open_recorded <= self.tail_open:
                # the last few exported cases wait mostly for external parties; new
                # arrivals would only cost time (recorded in the ground truth)
                self.arrivals_stopped = t
                return
            self._new_case(t)

    def _new_case(self, t: float) -> None:
        no = len(self.cases) + 1
        rng = random.Random(self.seed * 16_777_216 + no)
        new = False
        if t >= self.change:
            share = 1.0 if self.ramp <= 0 else min(1.0, (t - self.change) / self.ramp)
            new = rng.random() < share
        p = self.p1 if new else self.p0
        case = Case(no, "", rng, p, new)
        case.procedure = choose(rng, p.procedure_mix)
        if case.procedure.startswith("AE"):
            case.purpose = choose(rng, p.purpose_mix_ae)
        elif case.procedure == "NE":
            case.purpose = "Daueraufenthalt"
        else:
            case.purpose = "Erwerbstätigkeit"
        case.channel = "online" if case.procedure == "§81a" else choose(rng, p.channel_mix)
        case.region = choose(rng, p.region_mix)
        case.age = choose(rng, p.age_mix)
        sec = dict(p.p_security)[case.procedure]
        case.needs_security = rng.random() < sec
        if case.procedure == "NE" and rng.random() < p.p_ne_without_security:
            case.needs_security = False  # deviation on purpose: NE decided without enquiry
        ba = 0.0
        if case.procedure.startswith("AE") and case.purpose == "Erwerbstätigkeit":
            ba = p.p_ba_ae_employment
        elif case.procedure == "Blaue Karte EU":
            ba = p.p_ba_blue_card
        case.needs_ba = rng.random() < ba
        case.late = False
        case.expiry = None
        if case.procedure in ("AE-Verlängerung", "NE"):
            case.late = rng.random() < p.p_late_application
            if case.late:
                case.expiry = t - draw(rng, p.late_by) * DAY
            else:
                case.expiry = t + draw(rng, p.expiry_lead) * DAY
        case.reject = "inhaltlich" if rng.random() < p.p_rejection else None
        case.skip_hearing = rng.random() < p.p_rejection_without_hearing
        case.order_before_fee = rng.random() < p.p_order_before_fee
        case.simple = (case.procedure == "AE-Verlängerung" and not case.needs_ba
                       and not case.needs_security and not case.late
                       and case.reject is None)
        self.cases.append(case)
        self.env.process(self._case(case))

    # ---- the case process ------------------------------------------------------------------

    def _case(self, case: Case) -> Generator[Any, Any, None]:
        env = self.env
        if case.procedure == "§81a":
            yield from self._pre_81a(case)
        elif case.channel == "Termin":
            yield from self._appointment(case)
        elif case.channel == "ohne Termin":
            yield from self._walk_in(case)
        else:
            yield from self._written(case)
        yield from self._rework(case)
        parallel = []
        if not case.bio_done:
            parallel.append(env.process(self._invited_visit(case, None, "biometrics")))
        if (case.needs_ba or case.needs_security) and case.decided is None:
            parallel.append(env.process(self._external(case)))
        if parallel:
            yield env.all_of(parallel)
        if case.decided is None:
            yield from self._decide(case)
        else:
            yield from self._issue(case)
        sid, role = yield from self.work(self.sb, case.p.close_min, prio=0)
        self.log(case, ABGESCHLOSSEN, env.now, sid, role)
        case.closed = env.now
        if case.record:
            self.open_recorded -= 1
            if self.open_recorded == 0 and env.now >= self.export and not self.stop.triggered:
                self.stop.succeed()

    def _start_watchers(self, case: Case) -> None:
        """From the application on: status enquiries and the Fiktionsbescheinigung."""
        case.antrag = self.env.now
        self.env.process(self._enquiries(case))
        if case.expiry is not None and not case.late:
            self.env.process(self._fiktion_watch(case))

    # intake ---------------------------------------------------------------------------------

    def _appointment(self, case: Case) -> Generator[Any, Any, None]:
        """Appointment channel: request, allocation, no-shows, then the intake visit."""
        env, rng = self.env, case.rng
        t = customer_time(env.now)
        if t > env.now:
            yield env.timeout(t - env.now)
        while True:
            online = case.p.booking == "online"
            self.log(case, TERMINANFRAGE, env.now, SYSTEM if online else None,
                     R_SYS if online else R_KUNDE)
            if online:
                sid, role, t_alloc = SYSTEM, R_SYS, env.now + 1
            else:  # phone/e-mail: the Servicepoint allocates in office hours
                sid, role = yield from self.work(self.sp, case.p.allocation_min, prio=1)
                t_alloc = env.now
            slot = self._slot(case, t_alloc)
            self.log(case, TERMIN_VERGEBEN, t_alloc, sid, role)
            arrive = slot - rng.uniform(0, 10)
            yield env.timeout(max(0.0, arrive - env.now))
            if rng.random() < case.p.p_no_show:
                self.log(case, NO_SHOW, slot + 15, None, R_KUNDE)
                yield env.timeout(max(0.0, slot + 15 - env.now) + self.days(case,
                                                                        case.p.rebook_delay))
                t = customer_time(env.now)
                yield env.timeout(t - env.now)
                continue
            yield from self._visit(case, appointment=True, kind="intake")
            return

    def _come_in_public_hours(self, t: float, rng: random.Random) -> float:
        """A customer who means to come at ``t`` comes during the next public hours."""
        start, end = self.cal.next_public(t)
        return start + rng.random() * (end - start) * 0.9

    def _slot(self, case: Case, t: float) -> float:
        rng = case.rng
        earliest = self.cal.add_working_days(t, case.p.appointment_notice_days)
        if rng.random() < case.p.p_preferred_later:
            earliest = max(earliest, t + draw(rng, case.p.preferred_delay) * DAY)
        return self.book.book(earliest)

    def _walk_in(self, case: Case) -> Generator[Any, Any, None]:
        """Walk-in: come in public hours (many before opening); sent home if not served."""
        env, rng, cal = self.env, case.rng, self.cal
        early = case.p.walkin_early_share
        turned = 0
        d = int(env.now // DAY)
        while True:
            d = cal.next_pub[d]
            if rng.random() < early:
                arrive = d * DAY + 405 + rng.random() * 75  # 6:45-8:00, queue at the door
            else:
                arrive = cal.public_window_at(d, rng.random())
            if arrive <= env.now:
                d += 1
                continue
            yield env.timeout(arrive - env.now)
            served = yield from self._visit(case, appointment=False, kind="intake")
            if served:
                return
            # sent home: come back another day before opening, or (after a second time,
            # or on advice) book an appointment; otherwise the queue of returning
            # walk-ins would grow without end when the desks are full
            turned += 1
            if turned >= 2 or rng.random() < 0.5:
                yield env.timeout(rng.uniform(0.5, 3) * DAY)
                yield from self._appointment(case)
                return
            early = 0.9
            d = int((env.now + rng.uniform(1, 7) * DAY) // DAY)

    def _written(self, case: Case) -> Generator[Any, Any, None]:
        """Written/online application: received by the system, checked in the back office."""
        env = self.env
        t = customer_time(env.now)
        if t > env.now:
            yield env.timeout(t - env.now)
        self.log(case, ANTRAG, env.now, SYSTEM, R_SYS)
        self._start_watchers(case)
        pool = self.sp if case.p.written_check_by == "SP" else self.sb
        minutes = case.p.written_check_min
        sid, role = yield from self.work(pool, draw(case.rng, minutes), prio=1)
        self._checked(case, sid, role, case.p.p_incomplete)

    def _checked(self, case: Case, sid: str, role: int, p_incomplete: float) -> None:
        """A completeness check is logged; documents are requested if incomplete."""
        now = self.env.now
        case.incomplete = case.rng.random() < p_incomplete
        if case.incomplete:  # the request letter is the last thing the task does
            self.log(case, PRUEFUNG, now - 0.5, sid, role)
            self.log(case, NACHGEFORDERT, now, sid, role)
        else:
            self.log(case, PRUEFUNG, now, sid, role)

    def _visit(self, case: Case, *, appointment: bool, kind: str,
               at_servicepoint: bool = False) -> Generator[Any, Any, bool]:
        """A visit: check-in at the Servicepoint, then the counter (or the Servicepoint).

        ``kind``: "intake" (application at the visit), "biometrics" (after a written
        application), "81a" (worker after entry). Returns False if a walk-in was sent home.
        """
        env, rng = self.env, case.rng
        # check-in: a number from the call-up system; people waiting at the door before
        # opening draw theirs in the first minutes, in the order they came
        opens = self.cal.next_public(env.now)[0]
        if opens > env.now:  # in the line at the door: first come, first drawn
            waited = opens - env.now
            yield env.timeout(waited + min(15.0, max(0.0, 75.0 - waited) * 0.2))
        self.log(case, CHECK_IN, env.now, SYSTEM, R_SYS)
        p_now = self.p_at(env.now)
        at_sp = (at_servicepoint
                 or (kind == "intake" and case.simple and p_now.simple_intake_by == "SP")
                 or (kind == "biometrics" and p_now.biometrics_by == "SP"))
        pool = self.sp if at_sp else self.sb
        desks = None if at_sp else (self.counter if appointment else self.walkin_desks)
        seized = yield from self._seize_on_site(desks, pool, walk_in=not appointment)
        if seized is None:
            return False  # a walk-in sent home at the end of public hours
        desk, req, i = seized
        seat_id, role = pool.ids[i], pool.role
        # what happens at the desk, as (minutes after the start, activity)
        steps: list[tuple[float, str]] = []
        t = 0.0
        if kind == "intake":
            t += 2
            steps.append((t, ANTRAG))
            t += draw(rng, case.p.intake_min) + (0 if appointment else case.p.walkin_extra_min)
            steps.append((t, PRUEFUNG))
            case.incomplete = rng.random() < case.p.p_incomplete
        elif kind == "81a":
            t += draw(rng, case.p.intake_min) * 0.6
            steps.append((t, PRUEFUNG))
            case.incomplete = rng.random() < case.p.p_incomplete_again
        if case.incomplete:
            t += 3
            steps.append((t, NACHGEFORDERT))
        bio_by_sp = p_now.biometrics_by == "SP" and not at_sp
        if not bio_by_sp and not case.bio_done:
            t += draw(rng, case.p.biometrics_min)
            steps.append((t, BIOMETRIE))
            case.bio_done = True
        immediate = (kind == "intake" and case.simple and not case.incomplete
                     and case.bio_done and (p_now.simple_intake_by == "SB") == (not at_sp)
                     and rng.random() < p_now.p_immediate_decision)
        fiktion_now = not immediate and self._fiktion_due_at_visit(case, env.now + t)
        if fiktion_now and (p_now.fiktion_by == "SB" or at_sp):
            t += 5
            steps.append((t, FIKTION))
            fiktion_now = False
        if immediate:  # simple extension decided at the desk (Sofortentscheidung)
            for dt_, act in ((10, ERTEILUNG), (3, GEBUEHR), (4, EAT_BESTELLT)):
                t += dt_
                steps.append((t, act))
            case.ordered = True
        # staff leave at closing time: a visit that would run over is done faster
        now = env.now
        d = int(now // DAY)
        room = d * DAY + self.cal.close_[d] - now
        squeeze = min(1.0, room / t) if t > 0 else 1.0
        for offset, act in steps:
            at = now + offset * squeeze
            if act == GEBUEHR:
                self.log(case, act, at, None, R_KUNDE)  # pay machine next to the desk
            elif act == FIKTION:
                self._issue_fiktion(case, at, seat_id, role)
            else:
                self.log(case, act, at, seat_id, role)
            if act == ANTRAG:
                case.antrag = at
            elif act == ERTEILUNG:
                case.decided = at
        pool.busy_minutes += t * squeeze
        yield env.timeout(t * squeeze)
        pool.res.release(req)
        pool.give(i)
        if desk is not None and desks is not None:
            desks.res.release(desk)
        if bio_by_sp and not case.bio_done:
            sid, _ = yield from self.serve_public(self.sp, draw(rng, case.p.biometrics_min))
            self.log(case, BIOMETRIE, env.now, sid, R_SP)
            case.bio_done = True
        if fiktion_now and case.decided is None:
            sid, _ = yield from self.serve_public(self.sp, case.p.fiktion_min)
            self._issue_fiktion(case, env.now, sid, R_SP)
        if kind == "intake":
            self._start_watchers(case)
        return True

    def _seize_on_site(self, desks: Counter | None, pool: Pool, walk_in: bool
                       ) -> Generator[Any, Any, tuple[Any, Any, int] | None]:
        """Wait for a desk (if any) and a person. Nobody is called later than 15 minutes
        before closing: walk-ins are sent home at the end of public hours (None), people
        with an appointment come back at the next opening and are called first."""
        env, cal = self.env, self.cal
        prio = 0
        while True:
            d = int(env.now // DAY)
            close = d * DAY + cal.close_[d]
            latest = close - 15.0
            if walk_in:
                latest = min(latest, cal.next_public(env.now)[1])
            desk = None
            if desks is not None:
                desk = desks.res.request(priority=prio)
                yield desk | env.timeout(max(0.0, latest - env.now))
                if not desk.triggered:
                    desk.cancel()
                    desk = None
            if desk is not None or desks is None:
                req = pool.res.request(priority=-1)
                yield req | env.timeout(max(0.0, latest - env.now))
                if req.triggered:
                    return desk, req, pool.take()
                req.cancel()
                if desk is not None and desks is not None:
                    desks.res.release(desk)
            if walk_in:
                return None
            start, _ = cal.next_public(close)
            yield env.timeout(start - env.now)
            prio = -1

    def _fiktion_due_at_visit(self, case: Case, t: float) -> bool:
        """A Fiktionsbescheinigung is issued at the visit when the title has expired or
        expires within four weeks, for a timely application (§81 Abs. 4 AufenthG)."""
        return (case.expiry is not None and not case.late and case.decided is None
                and case.fiktion_until is None and case.expiry - t < 28 * DAY)

    def _issue_fiktion(self, case: Case, t: float, sid: str, role: int) -> None:
        self.log(case, FIKTION, t, sid, role)
        case.fiktion_until = max(t, case.expiry or t) + case.p.fiktion_validity_days * DAY

    # rework ---------------------------------------------------------------------------------

    def _rework(self, case: Case) -> Generator[Any, Any, None]:
        """Document requests and resubmissions until the file is complete."""
        env, rng = self.env, case.rng
        loops = 0
        while case.incomplete:
            loops += 1
            yield env.timeout(self.days(case, case.p.resubmission))
            t = customer_time(env.now)
            yield env.timeout(t - env.now)
            if rng.random() < case.p.p_postal_resubmission:
                self.log(case, NACHGEREICHT, env.now, None, R_KUNDE, date_only=True)
            else:
                self.log(case, NACHGEREICHT, env.now, SYSTEM, R_SYS)
            pool = self.sp if (case.p.written_check_by == "SP"
                               and case.channel == "online") else self.sb
            sid, role = yield from self.work(pool, draw(rng, case.p.recheck_min), prio=1)
            again = case.p.p_incomplete_again if loops < case.p.max_rework_loops else 0.0
            self._checked(case, sid, role, again)

    # biometrics by invitation -----------------------------------------------------------------

    def _invited_visit(self, case: Case, sid: str | None, kind: str
                       ) -> Generator[Any, Any, None]:
        """The office books an appointment (biometrics, §81a worker after entry)."""
        env, rng = self.env, case.rng
        if (kind == "biometrics" and case.channel == "online"
                and case.p.online_biometrics == "servicepoint"):
            # portal applicants are asked to come to the Servicepoint within days
            if sid is None:
                sid, role = yield from self.work(self.sp, case.p.allocation_min, prio=0)
            else:
                role = R_SP if sid.startswith("SP") else R_SB
            self.log(case, TERMIN_VERGEBEN, env.now, sid, role)
            arrive = self._come_in_public_hours(
                env.now + self.days(case, case.p.biometrics_come_delay), rng)
            yield env.timeout(arrive - env.now)
            yield from self._visit(case, appointment=True, kind=kind, at_servicepoint=True)
            return
        while True:
            if sid is None:
                sid, role = yield from self.work(self.sb, case.p.allocation_min, prio=0)
            else:
                role = R_SB
            slot = self._slot(case, env.now + 3 * DAY)  # invitation letter
            self.log(case, TERMIN_VERGEBEN, env.now, sid, role)
            arrive = slot - rng.uniform(0, 10)
            yield env.timeout(max(0.0, arrive - env.now))
            if rng.random() < case.p.p_no_show:
                self.log(case, NO_SHOW, slot + 15, None, R_KUNDE)
                yield env.timeout(max(0.0, slot + 15 - env.now) + self.days(case,
                                                                        case.p.rebook_delay))
                sid = None
                continue
            yield from self._visit(case, appointment=True, kind=kind)
            return

    # external parties -------------------------------------------------------------------------

    def _external(self, case: Case) -> Generator[Any, Any, None]:
        """BA consent and security enquiry, requested together, answered independently."""
        env = self.env
        sid, role = yield from self.work(self.sb, case.p.request_min, prio=0)
        waits = []
        if case.needs_ba:
            asked = env.now - (0.5 if case.needs_security else 0.0)
            self.log(case, BA_ANGEFRAGT, asked, sid, role)
            waits.append(env.process(self._ba(case, asked, in_81a=False)))
        if case.needs_security:
            self.log(case, SICHERHEIT_GESTELLT, env.now, sid, role)
            waits.append(env.process(self._security(case, env.now)))
        yield env.all_of(waits)

    def _ba(self, case: Case, asked: float, in_81a: bool) -> Generator[Any, Any, None]:
        """BA answers within its delay distribution, or consent is deemed granted exactly
        14 days after the request (7 in §81a; § 36 Abs. 2 BeschV, §81a AufenthG)."""
        env, rng = self.env, case.rng
        p = self.p_at(asked)
        table = p.ba_answer_81a if in_81a else p.ba_answer
        fiction = (p.ba_fiction_days_81a if in_81a else p.ba_fiction_days) * DAY
        u, acc, answer = rng.random(), 0.0, None
        for share, lo, hi in table:
            acc += share
            if u < acc:
                answer = self.cal.next_work(asked + rng.uniform(lo, hi) * DAY)
                break
        if answer is not None and answer < asked + fiction:
            yield env.timeout(answer - env.now)
            if not in_81a and rng.random() < p.p_ba_refused:
                self.log(case, BA_VERSAGT, env.now, None, R_BA)
                case.reject = case.reject or "BA versagt"
            else:
                self.log(case, BA_ERTEILT, env.now, None, R_BA)
        else:
            yield env.timeout(asked + fiction - env.now)
            self.log(case, BA_FINGIERT, env.now, SYSTEM, R_SYS, date_only=True)

    def _security(self, case: Case, asked: float) -> Generator[Any, Any, None]:
        env, rng = self.env, case.rng
        p = self.p_at(asked)
        t = self.cal.next_work(asked + draw(rng, p.security_delay) * DAY)
        yield env.timeout(t - env.now)
        self.log(case, SICHERHEIT_ERGEBNIS, env.now, None, R_SEC)
        if rng.random() < p.p_security_adverse:
            case.reject = case.reject or "Sicherheitsbedenken"

    # §81a ---------------------------------------------------------------------------------------

    def _pre_81a(self, case: Case) -> Generator[Any, Any, None]:
        """Accelerated skilled-worker procedure: agreement, recognition, BA consent (7-day
        fiction), pre-approval; then the worker enters and comes for the title."""
        env, rng = self.env, case.rng
        t = customer_time(env.now)
        if t > env.now:
            yield env.timeout(t - env.now)
        self.log(case, ANTRAG, env.now, SYSTEM, R_SYS)
        case.antrag = env.now
        sid, role = yield from self.work(self.sb, case.p.agreement_min, prio=1)
        self.log(case, VEREINBARUNG, env.now - 0.5, sid, role)
        self.log(case, ANERKENNUNG_EINGELEITET, env.now, sid, role)
        p = self.p_at(env.now)
        t = self.cal.next_work(env.now + draw(rng, p.recognition_delay) * DAY)
        yield env.timeout(t - env.now)
        self.log(case, ANERKENNUNGSBESCHEID, env.now, None, R_ANERK, date_only=True)
        sid, role = yield from self.work(self.sb, case.p.request_min, prio=0)
        self.log(case, BA_ANGEFRAGT, env.now, sid, role)
        yield env.process(self._ba(case, env.now, in_81a=True))
        sid, role = yield from self.work(self.sb, case.p.request_min, prio=0)
        self.log(case, VORABZUSTIMMUNG, env.now, sid, role)
        yield env.timeout(self.days(case, self.p_at(env.now).entry_delay))
        self.env.process(self._enquiries(case))
        yield from self._invited_visit(case, None, "81a")

    # decision and eAT ---------------------------------------------------------------------------

    def _decide(self, case: Case) -> Generator[Any, Any, None]:
        env, rng = self.env, case.rng
        sid, role = yield from self.work(self.sb, draw(rng, case.p.decision_min), prio=1)
        if case.reject is None:
            self.log(case, ERTEILUNG, env.now, sid, role)
            case.decided = env.now
            yield from self._issue(case)
            return
        if not case.skip_hearing:  # skipping it is a deviation on purpose
            self.log(case, ANHOERUNG, env.now, sid, role)
            yield env.timeout(self.days(case, case.p.hearing_period))
        yield from self.work(self.sb, case.p.rejection_min, prio=1)
        tl, role = yield from self.work(self.tl, draw(rng, case.p.signoff_min), prio=1)
        self.log(case, ABLEHNUNG, env.now, tl, role)
        case.decided = env.now

    def _pay(self, case: Case) -> Generator[Any, Any, None]:
        yield self.env.timeout(self.days(case, case.p.fee_delay))
        self.log(case, GEBUEHR, self.env.now, None, R_KUNDE, date_only=True)

    def _order(self, case: Case) -> Generator[Any, Any, None]:
        sid, role = yield from self.work(self.sb, case.p.order_min, prio=0)
        self.log(case, EAT_BESTELLT, self.env.now, sid, role)
        case.ordered = True

    def _issue(self, case: Case) -> Generator[Any, Any, None]:
        """Fee, eAT order, production at the Bundesdruckerei, handout at the Servicepoint."""
        env, rng = self.env, case.rng
        if not case.ordered:
            if case.order_before_fee:  # deviation on purpose: the fee follows the order
                yield from self._order(case)
                env.process(self._pay(case))
            else:
                yield env.timeout(self.days(case, case.p.fee_delay))
                self.log(case, GEBUEHR, env.now, None, R_KUNDE, date_only=True)
                yield from self._order(case)
        p = self.p_at(env.now)
        ordered = env.now
        factor = case.p.eat_production_factor  # 1.0 except in the "wait_30" scenario
        t = self.cal.next_work(ordered + draw(rng, p.eat_production) * factor * DAY)
        limit = ordered + p.eat_production.high * factor * DAY
        if t > limit:  # delivered on the last working day within the production time
            d = int(limit // DAY)
            while not self.cal.is_open(d) or d * DAY + self.cal.open_[d] > limit:
                d -= 1
            t = max(ordered, d * DAY + self.cal.open_[d])
        yield env.timeout(t - env.now)
        self.log(case, EAT_GELIEFERT, env.now, None, R_BDR, date_only=True)
        arrive = self._come_in_public_hours(env.now + self.days(case, case.p.handout_delay),
                                            rng)
        yield env.timeout(arrive - env.now)
        sid, _ = yield from self.serve_public(self.sp, draw(rng, case.p.handout_min))
        self.log(case, EAT_AUSGEHAENDIGT, env.now, sid, R_SP)

    # waiting customers ------------------------------------------------------------------------

    def _enquiries(self, case: Case) -> Generator[Any, Any, None]:
        """Waiting customers ask for the state of their case (phone/e-mail) until decided."""
        env, rng = self.env, case.rng
        yield env.timeout(self.days(case, case.p.enquiry_first))
        while case.decided is None:
            if rng.random() < case.p.p_enquiry:
                t = customer_time(env.now)
                yield env.timeout(t - env.now)
                sid, role = yield from self.work(self.sp, draw(rng, case.p.enquiry_min), prio=1)
                self.log(case, SACHSTAND, env.now, sid, role)
                if rng.random() < case.p.p_enquiry_forwarded:
                    yield from self.work(self.sb, case.p.forward_min, prio=0)
            yield env.timeout(self.days(case, case.p.enquiry_interval))

    def _fiktion_watch(self, case: Case) -> Generator[Any, Any, None]:
        """Before the title (or the last certificate) expires, the customer asks for a
        Fiktionsbescheinigung; it is issued unless the decision comes first."""
        env, rng = self.env, case.rng
        while True:
            valid = case.fiktion_until if case.fiktion_until is not None else case.expiry
            need = (valid or env.now) - case.p.fiktion_request_lead_days * DAY
            if need > env.now:
                yield env.timeout(need - env.now)
            if case.decided is not None:
                return
            if rng.random() < case.p.p_no_fiktion_request:
                return
            t = customer_time(env.now)
            yield env.timeout(t - env.now)
            if self.p_at(env.now).fiktion_by == "SP":
                sid, role = yield from self.work(self.sp, case.p.fiktion_min, prio=0)
            else:
                sid, role = yield from self.work(self.sb, case.p.fiktion_min, prio=1)
            if case.decided is not None:
                return
            self._issue_fiktion(case, env.now, sid, role)

    # ---- running ------------------------------------------------------------------------------

    def run(self, progress: Callable[[float, float], None] | None = None,
            runout_days: float = 540.0) -> float:
        """Run until every exported case is closed (at most ``runout_days`` past the export
        date). Returns the simulation minute it stopped at."""
        env = self.env
        limit = min(self.export + runout_days * DAY, (self.horizon_days - 60) * DAY)
        step = 7 * DAY
        t = 0.0
        while t < limit:
            t = min(t + step, limit)
            if env.now >= self.export and self.open_recorded == 0:
                break
            if t > self.export:
                env.run(until=simpy.AnyOf(env, [self.stop, env.timeout(t - env.now)]))
            else:
                env.run(until=t)
            if progress is not None:
                progress(env.now, limit)
            if self.stop.triggered:
                break
        return env.now
