"""Small-group suppression: no published figure describes fewer than ``k_min`` cases.

A median waiting time over three cases, or a "2 cases" cell next to a known deadline, can point
at a person; statistical offices therefore blank such cells and mark them (the Bundesagentur für
Arbeit shows a "·"). Here a figure about 1 to ``k_min - 1`` cases becomes a missing value and its
row is flagged ``suppressed``; zero is published (it describes no one). Where a table also shows
a total, one blanked row could be recovered by subtraction, so a second row is blanked with it
(secondary suppression).

Labels are treated the same way before any figure is computed: an activity label or attribute
value that fewer than ``k_min`` cases use (a name, a birth date or a phone number typed into a
step's label in one case) is replaced at import by one counted group,
``(seltene Bezeichnungen: N)``, so it appears in no table, map, report or JSON.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ist_analyse.config import K_MIN_DEFAULT
from ist_analyse.errors import ConfigError

__all__ = ["FLAG", "K_MIN_DEFAULT", "MARK", "RARE_LABEL", "check_k_min", "group_rare_labels",
           "is_small", "suppress_rows"]
#: how a suppressed figure is shown in tables and maps
MARK = "·"
#: the flag column every suppressed table carries
FLAG = "suppressed"
#: the one label that replaces every rare label of a column (N: how many labels it stands for)
RARE_LABEL = "(seltene Bezeichnungen: {n})"
_RARE = re.compile(r"\(seltene Bezeichnungen: (\d+)\)")


def check_k_min(k_min: int) -> int:
    """Return ``k_min`` if it is a usable group size (1 switches suppression off)."""
    if isinstance(k_min, bool) or not isinstance(k_min, int | np.integer) or k_min < 1:
        raise ConfigError(f"the minimum group size must be a whole number >= 1, got {k_min!r}",
                          hint="e.g. --k-min 5 (1 switches small-group suppression off)")
    return int(k_min)


def is_small(counts: pd.Series | np.ndarray, k_min: int) -> np.ndarray:
    """True where a count describes 1 to ``k_min - 1`` cases (missing counts are not small)."""
    values = pd.to_numeric(pd.Series(counts), errors="coerce").to_numpy(dtype=float,
                                                                       na_value=np.nan)
    return (values >= 1) & (values < k_min)


def suppress_rows(table: pd.DataFrame, *, count: str | Sequence[str], columns: Sequence[str],
                  k_min: int, total_shown: bool = False,
                  order: str | None = None) -> pd.DataFrame:
    """Blank the figures of every row about fewer than ``k_min`` cases (or staff members).

    Args:
        table: one row per group (a transition, an activity, a role ...).
        count: the column(s) holding the number of cases (or staff members) behind a row; a
            row is small when any of them is between 1 and ``k_min - 1``.
        columns: the figures to blank in a small row (the count columns are blanked too when
            listed here).
        k_min: minimum group size; 1 switches suppression off.
        total_shown: the table is published with a total of its additive columns; then a single
            blanked row is joined by the next smallest row, so no figure can be recovered by
            subtraction.
        order: the column that decides which row is "next smallest" (default: the first count).

    Returns:
        A copy with the figures of small rows set to missing and a boolean ``suppressed`` column
        (combined with the flags the table already had, so several calls can be chained).
    """
    k_min = check_k_min(k_min)
    counts = [count] if isinstance(count, str) else list(count)
    out = table.copy()
    small = np.zeros(len(out), dtype=bool)
    for col in counts:
        small |= is_small(out[col], k_min)
    if total_shown and small.sum() == 1 and len(out) > 1:
        key = pd.to_numeric(out[order or counts[0]], errors="coerce").to_numpy(dtype=float,
                                                                               na_value=np.nan)
        candidates = np.where(~small & ~np.isnan(key))[0]
        if len(candidates):
            small[candidates[np.argmin(key[candidates])]] = True
    for col in columns:
        out[col] = _nullable(out[col])
        out.loc[small, col] = None
    out[FLAG] = small | _flag(table)
    return out


def group_rare_labels(df: pd.DataFrame, columns: Sequence[str], *, case_col: str,
                      k_min: int, keep: Sequence[str] = ()) -> dict[str, int]:
    """Replace, in place, every value fewer than ``k_min`` cases use by one counted group.

    Values are counted by distinct cases, not rows, so a label typed into one case stays rare
    however often that case repeats it. Applying it again (a canonical log read with a larger
    ``k_min``) merges the old group into the new one and adds up its count.

    Args:
        keep: labels never grouped (named by the user, e.g. end activities).

    Returns:
        column -> number of distinct labels now standing behind its rare group (only columns
        that have one).
    """
    k_min = check_k_min(k_min)
    grouped: dict[str, int] = {}
    for col in columns:
        values = df[col]
        pairs = pd.DataFrame({"v": values.to_numpy(object), "c": df[case_col].to_numpy(object)})
        cases = pairs.dropna().drop_duplicates()["v"].value_counts()
        old = [v for v in cases.index if _RARE.fullmatch(str(v))]
        rare = (set(cases.index[cases < k_min]) - set(keep)) | set(old)
        if not rare or (len(rare) == 1 and old):
            if old:
                grouped[col] = int(_RARE.fullmatch(str(old[0])).group(1))  # type: ignore[union-attr]
            continue
        n = sum(int(m.group(1)) if (m := _RARE.fullmatch(str(v))) else 1 for v in rare)
        label = RARE_LABEL.format(n=n)
        is_rare = values.isin(list(rare)).to_numpy(bool)
        out = values.astype("string") if values.dtype != "string" else values.copy()
        out[is_rare] = label
        df[col] = out
        grouped[col] = n
    return grouped


def _flag(table: pd.DataFrame) -> np.ndarray:
    """The ``suppressed`` flags a table already carries (all False if none)."""
    if FLAG in table.columns:
        return table[FLAG].fillna(False).to_numpy(dtype=bool)
    return np.zeros(len(table), dtype=bool)


def _nullable(col: pd.Series) -> pd.Series:
    """A column that can hold a missing value without changing its meaning."""
    if pd.api.types.is_bool_dtype(col):
        return col.astype("boolean")
    if pd.api.types.is_integer_dtype(col):
        return col.astype("Int64")
    if pd.api.types.is_float_dtype(col):
        return col.astype("float64")
    return col.astype(object) if col.dtype != object else col
