"""Rule checks: legal deadlines, required orderings, activities that must or must not happen.

An organisation developer writes the rules of the procedure in a small TOML file (the format is
documented in the header of ``models/abh_rules.toml``, which ships the rules of an
Ausländerbehörde from domain.md §3); :func:`load_rules` reads and validates it and
:func:`check_rules` counts, per rule, the cases it applies to and the cases that break it.

Semantics (every count is a number of cases; each case is judged once per rule):

``where``
    ``where = { verfahren = "NE" }`` restricts a rule to the cases whose case attribute
    ``case_verfahren`` has that value; a list of values means any of them, several keys must
    all hold. A case whose attribute is missing does not match.

``deadline`` (``from``, ``to``, ``max_days``, optional ``working_days``)
    The clock starts at the first ``from`` of the case and stops at the first ``to`` (any of
    the listed activities) that comes after it in the case; later repetitions of either are
    ignored (issue #6: one judgement per case; the header of ``models/abh_rules.toml`` says
    "at each occurrence", which for the shipped rules differs only when a ``from`` repeats).
    Durations are calendar days (24 h), or office days of the Land (Mon-Fri without public
    holidays, see :mod:`ist_analyse.analysis.calendar`) with ``working_days = true``.
    ``checked`` counts the matching cases with a ``from``. Of these,

    * ``violations``: the ``to`` came more than ``max_days`` after the ``from``;
    * ``overdue_open``: no ``to`` yet, the case is still open, and more than ``max_days``
      have passed by ``as_of`` (default: the last timestamp of the log);
    * ``pending``: no ``to`` yet, open, the limit has not passed yet (not a violation);
    * ``closed_without_to``: the case was closed (an end activity occurred) without any
      ``to`` after the ``from`` (e.g. a withdrawn application): not judged. Without end
      activities every case without a ``to`` is treated as open.

    ``share`` is ``(violations + overdue_open) / checked``: the part of the checked cases that
    missed the deadline, late or still waiting beyond it. ``median_days`` and ``p90_days``
    describe the durations of the completed pairs (``from`` → ``to``).

``order`` (``before``, ``after``)
    Declare "precedence": ``checked`` are the matching cases that contain ``after`` (any of the
    listed activities); a case violates the rule when no ``before`` (any of them) precedes its
    first ``after``. Then every later ``after`` has no earlier ``before`` either, so this is the
    same as "every ``after`` needs an earlier ``before``". Events with equal timestamps are
    ordered by their source row.

``exists`` (``activity``)
    ``checked`` are the matching *closed* cases (an end activity occurred, see
    ``end_activities``); a case violates the rule when the activity (any of a list) does not
    occur in it. Without end activities all matching cases are checked, and a note says so.

``absent`` (``activity``)
    ``checked`` are all matching cases, open or closed; a case violates the rule when the
    activity occurs in it.

``as_of``
    Events after ``as_of`` are ignored (as if the log had been exported then). A date without
    a time means the end of that day in Europe/Berlin.

Privacy: a count between 1 and ``k_min - 1`` is blanked (``None``) and the rule marked
``suppressed``; so is ``share`` when a count it is built from is blanked, and the duration
figures when they rest on fewer than ``k_min`` completed pairs. ``examples`` (at most 5 case
ids of violating cases) are given only when the violations are published; the case ids are
those of the log, i.e. keyed pseudonyms when it was imported with the default settings.
Everything is vectorised (first occurrence per case by a groupby over positions in the sorted
log); no Python loop runs per case.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ist_analyse import log as L
from ist_analyse.analysis.calendar import DEFAULT_LAND, check_land, office_days, public_holidays
from ist_analyse.config import DEFAULT_TIMEZONE, ImportOptions, read_toml
from ist_analyse.errors import ConfigError
from ist_analyse.inspection import LogLike, as_import_result
from ist_analyse.notes import Note, NoteCode
from ist_analyse.privacy.suppress import K_MIN_DEFAULT, check_k_min

KINDS = ("deadline", "order", "exists", "absent")
#: keys allowed per rule kind: required, optional
_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "deadline": (("name", "from", "to", "max_days"), ("working_days", "where")),
    "order": (("name", "before", "after"), ("where",)),
    "exists": (("name", "activity"), ("where",)),
    "absent": (("name", "activity"), ("where",)),
}
#: at most this many example case ids per rule
MAX_EXAMPLES = 5
P90 = 0.9
_DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class Rule:
    """One rule of a rule file. Activity fields are tuples ("any of these")."""

    name: str
    kind: str
    where: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    from_: tuple[str, ...] = ()
    to: tuple[str, ...] = ()
    max_days: float | None = None
    working_days: bool = False
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    activity: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # rules built in code may name a single activity or value as plain text
        for name in ("from_", "to", "before", "after", "activity"):
            value = getattr(self, name)
            object.__setattr__(self, name, (value,) if isinstance(value, str) else tuple(value))
        where = {k: (v,) if isinstance(v, str) else tuple(v) for k, v in self.where.items()}
        object.__setattr__(self, "where", where)


@dataclass
class RuleResult:
    """The counts of one rule; ``None`` marks a suppressed (or not applicable) figure."""

    name: str
    kind: str
    checked: int | None
    violations: int | None
    overdue_open: int | None
    share: float | None
    median_days: float | None
    p90_days: float | None
    max_days_limit: float | None
    examples: list[str]
    suppressed: bool
    pending: int | None = None
    closed_without_to: int | None = None
    working_days: bool = False
    where: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class RuleResults:
    """The result of :func:`check_rules`; ``to_dict()`` is the ``--json`` document."""

    rules: list[RuleResult]
    as_of: str | None
    land: str
    k_min: int
    cases: int
    end_activities: list[str]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def table(self) -> pd.DataFrame:
        """One row per rule (for display)."""
        return pd.DataFrame([asdict(r) for r in self.rules])


# ---- loading ----------------------------------------------------------------------------------

def load_rules(path: str | Path) -> list[Rule]:
    """Read and validate a rule file (format: header of ``models/abh_rules.toml``).

    Raises:
        ConfigError: the file is missing, not TOML (with the line), has an unknown rule kind,
            or a rule has an unknown key, lacks a required key, has a value of the wrong type
            or a name used twice; the message names the file, the line of the rule's
            ``[[kind]]`` header, the rule's number and name, and the key.
    """
    path = Path(path)
    text, data = read_toml(path, "rule file")
    hint = "rule kinds: " + ", ".join(f"[[{k}]]" for k in KINDS)
    for key, value in data.items():
        if key not in KINDS:
            raise ConfigError(f"unknown rule kind '{key}'", file=path, row=_line_of(text, key),
                              hint=hint)
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise ConfigError(f"'{key}' must be a list of rules written as [[{key}]]",
                              file=path, row=_line_of(text, key), hint=hint)
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for kind in KINDS:
        lines = _header_lines(text, kind)
        for i, table in enumerate(data.get(kind, [])):
            row = lines[i] if i < len(lines) else None
            rule = _parse_rule(kind, i + 1, table, path, row)
            if rule.name in seen:
                raise ConfigError(f"[[{kind}]] #{i + 1}: the name '{rule.name}' is used twice",
                                  file=path, row=row, column="name",
                                  hint="every rule needs a unique name")
            seen[rule.name] = kind
            rules.append(rule)
    if not rules:
        raise ConfigError("the rule file contains no rules", file=path, hint=hint)
    return rules


def _header_lines(text: str, kind: str) -> list[int]:
    pattern = re.compile(rf"^\s*\[\[\s*\"?{re.escape(kind)}\"?\s*\]\]")
    return [n for n, line in enumerate(text.splitlines(), 1) if pattern.match(line)]


def _line_of(text: str, key: str) -> int | None:
    pattern = re.compile(rf"^\s*(\[\[?\s*)?\"?{re.escape(key)}\"?\s*(\]|=)")
    for n, line in enumerate(text.splitlines(), 1):
        if pattern.match(line):
            return n
    return None


def _parse_rule(kind: str, number: int, table: dict[str, Any], path: Path,
                row: int | None) -> Rule:
    required, optional = _KEYS[kind]
    raw_name = table.get("name")
    label = f"[[{kind}]] #{number}" + (f" '{raw_name}'" if isinstance(raw_name, str) else "")

    def fail(message: str, key: str | None, hint: str | None = None) -> ConfigError:
        return ConfigError(f"{label}: {message}", file=path, row=row, column=key, hint=hint)

    for key in table:
        if key not in required and key not in optional:
            raise fail(f"unknown key '{key}'", key,
                       hint=f"keys of [[{kind}]]: {', '.join((*required, *optional))}")
    for key in required:
        if key not in table:
            raise fail(f"missing key '{key}'", key)
    if not isinstance(raw_name, str) or not raw_name.strip():
        raise fail("'name' must be a non-empty text", "name")

    def activities(key: str) -> tuple[str, ...]:
        value = table[key]
        if isinstance(value, str):
            value = [value]
        if (not isinstance(value, list) or not value
                or not all(isinstance(v, str) and v.strip() for v in value)):
            raise fail(f"'{key}' must be an activity name or a non-empty list of them", key)
        return tuple(dict.fromkeys(v.strip() for v in value))

    where = _parse_where(table.get("where", {}), fail)
    name = raw_name.strip()
    if kind == "deadline":
        limit = table["max_days"]
        if isinstance(limit, bool) or not isinstance(limit, int | float) or not limit > 0:
            raise fail("'max_days' must be a number of days > 0", "max_days")
        working = table.get("working_days", False)
        if not isinstance(working, bool):
            raise fail("'working_days' must be true or false", "working_days")
        return Rule(name, kind, where, from_=activities("from"), to=activities("to"),
                    max_days=float(limit), working_days=working)
    if kind == "order":
        return Rule(name, kind, where, before=activities("before"), after=activities("after"))
    return Rule(name, kind, where, activity=activities("activity"))


def _parse_where(value: Any, fail: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise fail("'where' must be a table such as { verfahren = \"NE\" }", "where")
    out: dict[str, tuple[str, ...]] = {}
    for key, wanted in value.items():
        if isinstance(wanted, str):
            wanted = [wanted]
        if not isinstance(wanted, list) or not wanted or not all(
                isinstance(v, str) for v in wanted):
            raise fail(f"'where.{key}' must be a text or a non-empty list of texts",
                       f"where.{key}")
        attr = key[len(L.CASE_PREFIX):] if key.startswith(L.CASE_PREFIX) else key
        if not attr:
            raise fail("'where' has an empty attribute name", "where")
        out[attr] = tuple(wanted)
    return out


# ---- checking ---------------------------------------------------------------------------------

def check_rules(log: LogLike, rules: Sequence[Rule] | str | Path, *,
                as_of: Any = None, land: str = DEFAULT_LAND, k_min: int = K_MIN_DEFAULT,
                options: ImportOptions | None = None,
                end_activities: Sequence[str] | None = None) -> RuleResults:
    """Check every rule on the log (semantics in the module docstring).

    Args:
        log: a file path or URL (read with ``options``), an ImportResult or a canonical
            DataFrame.
        rules: rules from :func:`load_rules`, or the path of a rule file.
        as_of: the reference time for open cases (date, datetime, ``pd.Timestamp`` or ISO /
            ``TT.MM.JJJJ`` text); default: the last timestamp of the log.
        land: the Land whose public holidays are not office days (``working_days`` rules).
        k_min: counts about fewer cases are suppressed (1 switches that off).
        options: import options when ``log`` is a path; their ``end_activities`` are used.
        end_activities: activities that close a case (default: ``options.end_activities``).

    Raises:
        ConfigError: a ``where`` names a case attribute the log does not have, or ``as_of``,
            ``land`` or ``k_min`` is not usable.
    """
    k_min = check_k_min(k_min)
    land = check_land(land)
    if isinstance(rules, str | Path):
        rules = load_rules(rules)
    if options is not None:
        options = options.with_mapping_file()
    df = as_import_result(log, options).log
    ends = list(end_activities if end_activities is not None
                else (options.end_activities if options else ()))
    notes: list[str] = []
    if len(df):
        ref = _parse_as_of(as_of) if as_of is not None else df[L.TIMESTAMP].max()
        df = df.loc[(df[L.TIMESTAMP] <= ref).to_numpy()].reset_index(drop=True)
    else:
        ref = _parse_as_of(as_of) if as_of is not None else None
    ctx = _Context(df, ends, ref, land)
    if not ends and any(r.kind == "exists" for r in rules):
        notes.append(Note(NoteCode.EXISTS_WITHOUT_END, "no end activities given: 'exists' "
                          "rules check every case, also open ones"))
    results = [_check(rule, ctx, k_min) for rule in rules]
    return RuleResults(rules=results, as_of=_iso(ref), land=land, k_min=k_min,
                       cases=ctx.n_cases, end_activities=ends, notes=notes)


class _Context:
    """Per-case arrays shared by all rules."""

    def __init__(self, df: pd.DataFrame, ends: Sequence[str], ref: pd.Timestamp | None,
                 land: str) -> None:
        self.df = df
        self.codes, self.case_ids = pd.factorize(df[L.CASE_ID], sort=False)
        self.n_cases = len(self.case_ids)
        self.pos = np.arange(len(df))
        self.activity = df[L.ACTIVITY]
        self.ts = df[L.TIMESTAMP]
        self.ref = ref
        self.land = land
        # rows are sorted by case: the first row of each case carries its attributes
        _, self.first_row = np.unique(self.codes, return_index=True)
        self.closed = (self.first_pos(list(ends)) >= 0) if ends else None

    def first_pos(self, acts: Sequence[str], mask: np.ndarray | None = None) -> np.ndarray:
        """Per case: position of the first event with one of ``acts`` (and ``mask``), or -1."""
        sel = self.activity.isin(list(acts)).to_numpy(dtype=bool, na_value=False)
        if mask is not None:
            sel = sel & mask
        out = np.full(self.n_cases, -1, dtype=np.int64)
        first = pd.Series(self.pos[sel]).groupby(self.codes[sel]).min()
        out[first.index.to_numpy()] = first.to_numpy()
        return out

    def matches(self, rule: Rule) -> np.ndarray:
        """Per case: does it satisfy the rule's ``where``?"""
        ok = np.ones(self.n_cases, dtype=bool)
        for attr, wanted in rule.where.items():
            col = L.CASE_PREFIX + attr
            if col not in self.df.columns:
                have = sorted(c[len(L.CASE_PREFIX):] for c in self.df.columns
                              if c.startswith(L.CASE_PREFIX) and c != L.CASE_ID)
                raise ConfigError(
                    f"rule '{rule.name}': where.{attr}: the log has no case attribute '{col}'",
                    column=f"where.{attr}",
                    hint="case attributes of this log: " + (", ".join(have) or "none"))
            values = self.df[col].iloc[self.first_row].astype("string")
            ok &= values.isin(list(wanted)).to_numpy(dtype=bool, na_value=False)
        return ok

    def days(self, start: pd.Series, end: pd.Series, working: bool) -> np.ndarray:
        """Durations in calendar days, or office days of the Land."""
        if not working:
            return ((end.to_numpy() - start.to_numpy()) / np.timedelta64(1, "D")).astype(float)
        s = _local(start)
        e = _local(end)
        if not len(s):
            return np.zeros(0)
        years = np.concatenate([s, e]).astype("datetime64[Y]").astype(int) + 1970
        hol = public_holidays(self.land, int(years.min()), int(years.max()))
        return office_days(s, e, hol)


def _local(values: pd.Series) -> np.ndarray:
    return (pd.Series(values).dt.tz_convert(DEFAULT_TIMEZONE).dt.tz_localize(None)
            .to_numpy(dtype="datetime64[us]"))


def _check(rule: Rule, ctx: _Context, k_min: int) -> RuleResult:
    match = ctx.matches(rule)
    ts = ctx.ts
    checked = 0
    violations = 0
    overdue: int | None = None
    pending: int | None = None
    closed_without: int | None = None
    durations = np.zeros(0)
    bad = np.zeros(ctx.n_cases, dtype=bool)
    if rule.kind == "deadline":
        start = ctx.first_pos(rule.from_)
        applies = match & (start >= 0)
        after_start = ctx.pos > np.where(start >= 0, start, np.iinfo(np.int64).max)[ctx.codes]
        stop = ctx.first_pos(rule.to, after_start)
        done = applies & (stop >= 0)
        limit = float(rule.max_days or 0)
        durations = ctx.days(ts.iloc[start[done]], ts.iloc[stop[done]], rule.working_days)
        late = np.zeros(ctx.n_cases, dtype=bool)
        late[done] = durations > limit
        waiting = applies & (stop < 0)
        closed = ctx.closed if ctx.closed is not None else np.zeros(ctx.n_cases, dtype=bool)
        ended = waiting & closed
        is_open = waiting & ~closed
        open_days = ctx.days(ts.iloc[start[is_open]],
                             pd.Series(ctx.ref, index=range(int(is_open.sum())),
                                       dtype=ts.dtype),
                             rule.working_days)
        over = np.zeros(ctx.n_cases, dtype=bool)
        over[is_open] = open_days > limit
        checked = int(applies.sum())
        violations = int(late.sum())
        overdue = int(over.sum())
        pending = int(is_open.sum()) - overdue
        closed_without = int(ended.sum())
        bad = late | over
    elif rule.kind == "order":
        first_after = ctx.first_pos(rule.after)
        first_before = ctx.first_pos(rule.before)
        applies = match & (first_after >= 0)
        ok = (first_before >= 0) & (first_before < first_after)
        bad = applies & ~ok
        checked, violations = int(applies.sum()), int(bad.sum())
    else:
        has = ctx.first_pos(rule.activity) >= 0
        applies = match.copy()
        if rule.kind == "exists":
            if ctx.closed is not None:
                applies &= ctx.closed
            bad = applies & ~has
        else:
            bad = applies & has
        checked, violations = int(applies.sum()), int(bad.sum())
    return _publish(rule, ctx, k_min, checked=checked, violations=violations, overdue=overdue,
                    pending=pending, closed_without=closed_without, durations=durations,
                    bad=bad)


def _publish(rule: Rule, ctx: _Context, k_min: int, *, checked: int, violations: int,
             overdue: int | None, pending: int | None, closed_without: int | None,
             durations: np.ndarray, bad: np.ndarray) -> RuleResult:
    """Apply small-group suppression and build the result row."""

    def small(n: int | None) -> bool:
        return n is not None and 1 <= n < k_min

    def show(n: int | None) -> int | None:
        return None if small(n) else n

    suppressed = False
    missed = violations + (overdue or 0)
    share = missed / checked if checked else None
    median = p90 = None
    if len(durations) >= max(k_min, 1):
        median = round(float(np.median(durations)), 2)
        p90 = round(float(pd.Series(durations).quantile(P90)), 2)
    elif len(durations):
        suppressed = True
    counts = [checked, violations, overdue, pending, closed_without]
    if any(small(n) for n in counts):
        suppressed = True
    if small(checked):
        out_counts: list[int | None] = [None] * len(counts)
        share = median = p90 = None
    else:
        out_counts = [show(n) for n in counts]
        if small(violations) or small(overdue):
            share = None
    examples: list[str] = []
    if not small(checked) and not small(violations) and not small(overdue) and missed:
        idx = np.flatnonzero(bad)[:MAX_EXAMPLES]
        examples = [str(ctx.case_ids[i]) for i in idx]
    if rule.kind != "deadline":
        out_counts[2:] = [None, None, None]
    return RuleResult(
        name=rule.name, kind=rule.kind, checked=out_counts[0], violations=out_counts[1],
        overdue_open=out_counts[2], share=None if share is None else round(share, 4),
        median_days=median, p90_days=p90, max_days_limit=rule.max_days, examples=examples,
        suppressed=suppressed, pending=out_counts[3], closed_without_to=out_counts[4],
        working_days=rule.working_days, where={k: list(v) for k, v in rule.where.items()})


def _parse_as_of(value: Any) -> pd.Timestamp:
    """A UTC timestamp; a date without time is the end of that day in Europe/Berlin."""
    date_only = isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    text = value.strip() if isinstance(value, str) else None
    try:
        if text is not None:
            m = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", text)
            if m:
                text = f"{m.group(3)}-{int(m.group(2)):02d}-{int(m.group(1)):02d}"
            date_only = bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", text))
            ts = pd.Timestamp(text)
        else:
            ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"as-of '{value}' is not a date",
                          hint="e.g. 2024-12-31 or 31.12.2024") from exc
    if pd.isna(ts):
        raise ConfigError(f"as-of '{value}' is not a date", hint="e.g. 2024-12-31")
    if date_only:
        ts = ts.normalize() + _DAY
    if ts.tzinfo is None:
        ts = ts.tz_localize(DEFAULT_TIMEZONE, ambiguous=False, nonexistent="shift_forward")
    return ts.tz_convert("UTC")


def _iso(value: Any) -> str | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).tz_convert(DEFAULT_TIMEZONE).isoformat()
