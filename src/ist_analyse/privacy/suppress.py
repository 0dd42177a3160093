"""Small-group suppression: no published figure describes fewer than ``k_min`` cases.

A median waiting time over three cases, or a "2 cases" cell next to a known deadline, can point
at a person; statistical offices therefore blank such cells and mark them (the Bundesagentur für
Arbeit shows a "·"). Here a figure about 1 to ``k_min - 1`` cases becomes a missing value and its
row is flagged ``suppressed``; zero is published (it describes no one). Where a table also shows
a total, one blanked row could be recovered by subtraction, so a second row is blanked with it
(secondary suppression).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ist_analyse.errors import ConfigError

#: the default minimum group size (domain.md §8; anchors: n < 5 for staff figures)
K_MIN_DEFAULT = 5
#: how a suppressed figure is shown in tables and maps
MARK = "·"
#: the flag column every suppressed table carries
FLAG = "suppressed"


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


def suppress_cells(table: pd.DataFrame, *, columns: Sequence[str], k_min: int) -> pd.DataFrame:
    """Blank each count cell between 1 and ``k_min - 1`` on its own (e.g. arrivals per week).

    The row's ``suppressed`` flag is set when any of its cells was blanked.
    """
    k_min = check_k_min(k_min)
    out = table.copy()
    flag = np.zeros(len(out), dtype=bool)
    for col in columns:
        small = is_small(out[col], k_min)
        out[col] = _nullable(out[col])
        out.loc[small, col] = None
        flag |= small
    out[FLAG] = flag | _flag(table)
    return out


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
