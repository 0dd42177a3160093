"""Fixtures of the report tests: the sample log read once, a hand-built comparison document
(the contract of ``ist_analyse.compare``'s ``Comparison.to_dict()``), a hostile tiny log."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import REPO

SAMPLE_CSV = REPO / "sample_logs" / "abh_checklist_2024.csv"
MAPPING = REPO / "sample_logs" / "abh_mapping.toml"
MODEL = REPO / "models" / "soll_aufenthaltstitel.bpmn"
RULES = REPO / "models" / "abh_rules.toml"
EVIL_ACTIVITY = "<script>alert(1)</script>"
EVIL_ATTRIBUTE = '=HYPERLINK("http://evil.example/x","klick")'
ORDER = ["summary", "data", "map", "bottlenecks", "conformance", "comparison", "methods"]


@pytest.fixture(scope="session")
def key_env(tmp_path_factory):
    """A private pseudonym key for session-scoped fixtures (the autouse one is per test)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IST_ANALYSE_KEY_FILE", str(tmp_path_factory.mktemp("rkey") / "k.key"))
        yield


@pytest.fixture(scope="session")
def sample(key_env):
    """The simulated checklist export, read once (an ImportResult) with its options."""
    from ist_analyse.config import ImportOptions
    from ist_analyse.io.pipeline import read_log

    opts = ImportOptions(mapping_file=MAPPING).with_mapping_file()
    return read_log(SAMPLE_CSV, opts), opts


def comparison_doc() -> dict:
    """A comparison document of the agreed shape, with round numbers to assert on."""
    weeks = pd.date_range("2024-01-01", periods=52, freq="W-MON")
    weekly = [{"week": d.date().isoformat(),
               "period": "before" if d < pd.Timestamp("2024-07-01")
               else ("washout" if d < pd.Timestamp("2024-07-15") else "after"),
               "arrivals": 30 + i % 5, "completions": 25 + i % 7, "wip": 100 + i,
               "median_duration_days": 74 - i / 3} for i, d in enumerate(weeks)]
    kpi = {"p_value": 0.0001, "p_adjusted": 0.0004, "significant": True, "n_before": 800,
           "n_after": 900, "suppressed": False, "text": "english text"}
    return {
        "kpis": [
            {**kpi, "kpi": "case_duration", "kind": "duration", "unit": "days", "before": 74.0,
             "after": 51.0, "difference": -23.0, "ci_low": -29.0, "ci_high": -16.0,
             "verdict": "faster", "rmst_before": 80.0, "rmst_after": 60.0,
             "rmst_difference": -20.0, "rmst_ci_low": -25.0, "rmst_ci_high": -15.0,
             "horizon_days": 150.0},
            {**kpi, "kpi": "rework_rate", "kind": "proportion", "unit": "share",
             "before": 0.40, "after": 0.25, "difference": -0.15, "ci_low": -0.2,
             "ci_high": -0.1, "verdict": "lower"},
            {**kpi, "kpi": "wait:Antrag eingegangen->Vollständigkeitsprüfung", "kind": "wait",
             "unit": "days", "before": 3.0, "after": 2.5, "difference": -0.5,
             "ci_low": -1.0, "ci_high": 0.1, "p_adjusted": 0.2, "significant": False,
             "verdict": "no_change"},
            {**kpi, "kpi": f"wait:{EVIL_ACTIVITY}->Ende", "kind": "wait", "unit": "days",
             "before": 9.0, "after": 4.0, "difference": -5.0, "ci_low": -6.0, "ci_high": -4.0,
             "verdict": "faster"},
            {**kpi, "kpi": "deadline:Untätigkeit (§ 75 VwGO)", "kind": "deadline",
             "unit": "share", "before": 0.2, "after": 0.05, "difference": -0.15,
             "ci_low": -0.18, "ci_high": -0.12, "verdict": "lower"},
            {**kpi, "kpi": "arrivals_per_week", "kind": "rate", "unit": "per_week",
             "before": 32.0, "after": 37.0, "difference": 5.0, "ci_low": None, "ci_high": None,
             "p_adjusted": None, "significant": None, "verdict": "not_enough_data"},
        ],
        "periods": {"mode": "change", "change_date": "2024-07-01", "washout_days": 14,
                    "as_of": "2024-12-31",
                    "before": {"label": "before", "start": "2024-01-01", "end": "2024-06-30",
                               "cases": 829, "open_cases": 16, "open_share": 0.019},
                    "after": {"label": "after", "start": "2024-07-15", "end": "2024-12-31",
                              "cases": 900, "open_cases": 401, "open_share": 0.446}},
        "context": {"case_mix": {"attribute": "verfahren", "rows": [
            {"value": "AE-Verlängerung", "before_share": 0.55, "after_share": 0.54,
             "before_n": 456, "after_n": 486},
            {"value": EVIL_ATTRIBUTE, "before_share": 0.45, "after_share": 0.46,
             "before_n": 373, "after_n": 414}], "p_value": 0.7, "shifted": False},
            "arrivals": {}, "stratified": []},
        "weekly": weekly,
        "survival": {"before": [{"days": d, "survival": max(0.0, 1 - d / 150)}
                                for d in range(0, 151, 5)],
                     "after": [{"days": d, "survival": max(0.0, 1 - d / 100)}
                               for d in range(0, 101, 5)]},
        "checks": {"placebo": [{"date": "2024-04-01", "kpi": "case_duration", "p_value": 0.4,
                                "significant": False}],
                   "shifted": [{"shift_weeks": 4, "difference": -20.0, "p_value": 0.001,
                                "significant": True}],
                   "open_share": {"before": 0.019, "after": 0.446},
                   "warnings": ["41 % of the after cases are still open"]},
        "difference_map": {"edges": [], "file": None},
        "k_min": 5, "alpha": 0.05, "seconds": 1.0, "notes": [],
    }


@pytest.fixture
def comparison() -> dict:
    return comparison_doc()


def evil_log(cases: int = 12) -> pd.DataFrame:
    """A canonical log whose data try to inject markup and spreadsheet formulas."""
    rows = []
    t0 = pd.Timestamp("2024-03-04 08:00", tz="UTC")
    for i in range(cases):
        case = f"C{i:03d}"
        kanal = EVIL_ATTRIBUTE if i % 2 else "online"
        for j, act in enumerate(["Antrag eingegangen", EVIL_ACTIVITY, "Prüfung & Bescheid",
                                 "Vorgang abgeschlossen"]):
            rows.append({"case_id": case, "activity": act,
                         "timestamp": t0 + pd.Timedelta(days=i + 2 * j, hours=j),
                         "case_kanal": kanal})
    df = pd.DataFrame(rows)
    df["case_id"] = df["case_id"].astype("string")
    df["activity"] = df["activity"].astype("string")
    df["timestamp"] = df["timestamp"].astype("datetime64[us, UTC]")
    df["source_file"] = pd.Categorical(["evil.csv"] * len(df))
    df["source_row"] = pd.array(range(2, len(df) + 2), dtype="Int64")
    return df
