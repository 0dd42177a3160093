"""Shared test fixtures: where the real logs are, a private pseudonym key, the CLI runner.

In CI (``CI`` set to anything but empty/0/false/no) a skipped test is a failure: the database,
browser and PDF tests must really run there, so a missing server or browser cannot hide behind
a skip (``scripts/install.sh --test`` installs them).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: real public logs copied into the repository (provenance and licence in its README.md)
REAL_LOGS = REPO / "tests" / "data" / "real_logs"
SAMPLE_LOGS = REPO / "sample_logs"


@pytest.fixture(autouse=True)
def _private_key_file(tmp_path_factory, monkeypatch):
    """Every test gets its own pseudonym key, never the user's."""
    key_dir = tmp_path_factory.mktemp("key")
    monkeypatch.setenv("IST_ANALYSE_KEY_FILE", str(key_dir / "pseudonym.key"))


@pytest.fixture(scope="session")
def real_logs(tmp_path_factory) -> Path:
    """A private copy of tests/data/real_logs: the originals are read-only inputs."""
    target = tmp_path_factory.mktemp("real_logs")
    for f in REAL_LOGS.iterdir():
        if f.is_file():
            shutil.copy(f, target / f.name)
    return target


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI a skip is a failure (a database or browser test that did not run proves nothing)."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and in_ci() and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which counts as a failure: {reason}"
