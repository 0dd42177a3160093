"""The committed samples (sample_logs/abh_*) read as they should and agree with their truth."""

from __future__ import annotations

import json

import pytest

from ist_analyse import log as L
from ist_analyse import read_log
from ist_analyse.simulate import model as M
from tests.conftest import SAMPLE_LOGS

SAMPLES = {
    "abh_baseline_2024.xes.gz": "abh_baseline_2024.truth.json",
    "abh_checklist_2024.csv": "abh_checklist_2024.truth.json",
    "abh_checklist_2024.parquet": "abh_checklist_2024.truth.json",
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_reads_and_agrees_with_its_truth(name):
    truth = json.loads((SAMPLE_LOGS / SAMPLES[name]).read_text(encoding="utf-8"))
    log = read_log(SAMPLE_LOGS / name).log
    exp = truth["export"]
    assert len(log) == exp["events"]
    assert log[L.CASE_ID].nunique() == exp["cases"] >= 1500
    closed = log.loc[log[L.ACTIVITY] == M.ABGESCHLOSSEN, L.CASE_ID].nunique()
    assert exp["cases"] - closed == exp["open_cases"] > 300
    assert set(log[L.ACTIVITY]) <= set(M.ACTIVITIES)
    assert "case_verfahren" in log.columns
    assert truth["run"]["seed"] == 2024 and truth["run"]["scale"] == 0.25


def test_checklist_sample_shows_its_designed_effect():
    truth = json.loads((SAMPLE_LOGS / "abh_checklist_2024.truth.json").read_text("utf-8"))
    assert truth["scenario"]["name"] == "checklist"
    assert truth["run"]["change_date"] == "2024-07-01"
    eff = truth["effects"]
    assert eff["rework_share"]["before"] > 0.33 and eff["rework_share"]["after"] < 0.3
    assert eff["e2e_median_days"]["ratio"] < 0.85


def test_new_sample_data_stay_small():
    files = [p for p in SAMPLE_LOGS.iterdir() if p.name.startswith("abh_")]
    assert len(files) >= 6
    assert sum(p.stat().st_size for p in files) < 5_000_000
