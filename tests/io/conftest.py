"""Fixtures for the database readers: a real, throwaway PostgreSQL server (no mocks)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.pg_server import ENV_URL, PostgresUnavailable, postgres_server


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a PostgreSQL database whose role may create tables (and roles).

    A throwaway cluster is started for the test session unless IST_ANALYSE_TEST_PG_URL names
    a server. Without PostgreSQL binaries the tests are skipped locally, but fail in CI (CI
    must really run them: ``bash scripts/install.sh --test`` installs the server).
    """
    server = postgres_server()
    try:
        url = server.__enter__()
    except PostgresUnavailable as exc:
        if _in_ci():
            pytest.fail(f"PostgreSQL is required in CI: {exc}")
        pytest.skip(f"no PostgreSQL here ({exc}); set {ENV_URL} or install postgresql")
    try:
        yield url
    finally:
        server.__exit__(None, None, None)
