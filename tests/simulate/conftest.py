"""Shared small simulation runs (each a few seconds), made once per test session."""

from __future__ import annotations

import pytest

from ist_analyse.simulate import SimulationResult, simulate


@pytest.fixture(scope="session")
def baseline_small() -> SimulationResult:
    """A small office (scale 0.1, ~750 cases a year), 12 months of 2024."""
    return simulate("baseline", "2024-01-01", 12, seed=11, scale=0.1, progress=False)


@pytest.fixture(scope="session")
def checklist_small() -> SimulationResult:
    return simulate("checklist", "2024-01-01", 12, seed=11, scale=0.1, progress=False)


@pytest.fixture(scope="session")
def csv_export(tmp_path_factory: pytest.TempPathFactory) -> tuple[SimulationResult, object]:
    """A German CSV export (3 months, change in the middle) and its result."""
    out = tmp_path_factory.mktemp("sim") / "abh_export.csv"
    res = simulate("checklist", "2024-01-01", 4, seed=3, scale=0.1, output=out,
                   progress=False)
    return res, out
