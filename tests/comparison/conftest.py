"""Fixtures for the comparison tests: hand-made logs built in code and one simulated log."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

END = "Vorgang abgeschlossen"


def make_log(rows: list[tuple[str, str, str]], **attrs: dict[str, str]) -> pd.DataFrame:
    """A canonical log from (case, activity, local time 'YYYY-MM-DD HH:MM') rows;
    ``attrs`` = {attribute: {case: value}} become ``case_*`` columns."""
    df = pd.DataFrame(rows, columns=["case_id", "activity", "timestamp"])
    df["timestamp"] = (pd.to_datetime(df["timestamp"])
                       .dt.tz_localize("Europe/Berlin", ambiguous=False,
                                       nonexistent="shift_forward")
                       .dt.tz_convert("UTC").astype("datetime64[us, UTC]"))
    for name, values in attrs.items():
        df[f"case_{name}"] = df["case_id"].map(values).astype("string")
    df["case_id"] = df["case_id"].astype("string")
    df["activity"] = df["activity"].astype("string")
    df = df.sort_values(["case_id", "timestamp"], kind="stable").reset_index(drop=True)
    df["source_file"] = pd.Categorical(["test"] * len(df))
    df["source_row"] = pd.array(np.arange(1, len(df) + 1), dtype="Int64")
    return df


def stationary_log(n: int = 600, seed: int = 3, export: str = "2025-01-01",
                   median_days: float = 60.0, sigma: float = 0.6) -> pd.DataFrame:
    """Cases arriving uniformly in 2024 with the same duration distribution all year; cases
    not finished by the export date are cut there (open)."""
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp("2024-01-01 08:00")
    cut = pd.Timestamp(export)
    starts = t0 + pd.to_timedelta(np.sort(rng.uniform(0, 365, n)), unit="D")
    durs = rng.lognormal(np.log(median_days), sigma, n)
    rows = []
    for i, (s, d) in enumerate(zip(starts, durs, strict=True)):
        case = f"C{i:04d}"
        mid = s + pd.Timedelta(days=d / 2)
        end = s + pd.Timedelta(days=d)
        rows.append((case, "Antrag eingegangen", s.strftime("%Y-%m-%d %H:%M")))
        if mid < cut:
            rows.append((case, "Prüfung", mid.strftime("%Y-%m-%d %H:%M")))
        if end < cut:
            rows.append((case, END, end.strftime("%Y-%m-%d %H:%M")))
    return make_log(rows)


@pytest.fixture(scope="session")
def checklist_sim(tmp_path_factory):
    """The checklist scenario, scale 0.1 (~750 cases), change 2024-07-01, as Parquet."""
    from ist_analyse.simulate import simulate

    out = tmp_path_factory.mktemp("sim") / "checklist.parquet"
    res = simulate("checklist", "2024-01-01", 12, change="2024-07-01", seed=1, scale=0.1,
                   output=out, progress=False)
    return out, res.truth
