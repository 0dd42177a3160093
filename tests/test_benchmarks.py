"""The validation script of the before/after comparison runs and its figures add up."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO


@pytest.mark.slow
def test_compare_validation_runs_and_dumps_consistent_rows(tmp_path):
    dump = tmp_path / "runs.jsonl"
    out = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "compare_validation.py"), "--seeds", "2",
         "--scenarios", "stationary,wait_30", "--workers", "1", "--cache", str(tmp_path),
         "--dump", str(dump)], capture_output=True, text=True, timeout=600, check=True).stdout
    for heading in ("1. null scenarios", "2. wrongly coloured edges", "3. power and coverage",
                    "4. 95 % CI coverage", "5. compare() per run"):
        assert heading in out
    rows = [json.loads(line) for line in dump.read_text().splitlines()]
    assert sorted((r["scenario"], r["seed"]) for r in rows) == [
        ("stationary", 1000), ("stationary", 1001), ("wait_30", 1000), ("wait_30", 1001)]
    for r in rows:
        lo, hi = r["dur_ci"]
        assert r["dur_cover"] == (lo is not None and lo <= r["true_dur_diff"] <= hi)
        if lo is not None and r["dur_cohort_ci"][0] is not None:
            # the cohort interval lacks the period component: it lies inside the reported one
            assert lo <= r["dur_cohort_ci"][0] <= r["dur_cohort_ci"][1] <= hi
        assert r["coloured_edges"] <= r["compared_edges"]
    # the simulated logs were cached: a second run reads them instead of simulating
    assert len(list(tmp_path.glob("*.parquet"))) == 4
