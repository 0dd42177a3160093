"""Fixtures for the database readers: a real, throwaway PostgreSQL server (no mocks)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.conftest import in_ci
from tests.pg_server import (
    ENV_SUPER_URL,
    ENV_URL,
    SUPER_ROLE,
    PostgresUnavailable,
    postgres_server,
)


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
        if in_ci():
            pytest.fail(f"PostgreSQL is required in CI: {exc}")
        pytest.skip(f"no PostgreSQL here ({exc}); set {ENV_URL} or install postgresql")
    try:
        yield url
    finally:
        server.__exit__(None, None, None)


@pytest.fixture(scope="session")
def pg_super_url(pg_url: str) -> str:
    """URL of a superuser login on the same database (the import must refuse it)."""
    if os.environ.get(ENV_URL):
        url = os.environ.get(ENV_SUPER_URL)
        if not url:
            pytest.fail(f"{ENV_URL} is set: set {ENV_SUPER_URL} to a superuser login too")
        return url
    parts = urlsplit(pg_url)
    netloc = f"{SUPER_ROLE}:{parts.password}@{parts.hostname}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


def pytest_collection_modifyitems(config, items):
    """Tests marked ``c_engine_only`` compare or need the C scanner: no Python-engine copy.

    Deselected rather than skipped, because in CI every skip counts as a failure.
    """
    keep, drop = [], []
    for item in items:
        spec = getattr(item, "callspec", None)
        if (item.get_closest_marker("c_engine_only") and spec is not None
                and spec.params.get("engine") == "python"):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
