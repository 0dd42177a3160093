"""Shared test fixtures: where the real logs are, a private pseudonym key, the CLI runner."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("IST_ANALYSE_SHARED", REPO.parent / "shared"))
REAL_LOGS = SHARED / "real_logs"
SAMPLE_LOGS = REPO / "sample_logs"


@pytest.fixture(autouse=True)
def _private_key_file(tmp_path_factory, monkeypatch):
    """Every test gets its own pseudonym key, never the user's."""
    key_dir = tmp_path_factory.mktemp("key")
    monkeypatch.setenv("IST_ANALYSE_KEY_FILE", str(key_dir / "pseudonym.key"))


@pytest.fixture(scope="session")
def real_logs(tmp_path_factory) -> Path:
    """A private copy of ../shared/real_logs: the originals are read-only inputs."""
    if not REAL_LOGS.is_dir():
        pytest.fail(f"real logs not found at {REAL_LOGS} (set IST_ANALYSE_SHARED)")
    target = tmp_path_factory.mktemp("real_logs")
    for f in REAL_LOGS.iterdir():
        if f.is_file():
            shutil.copy(f, target / f.name)
    return target
