"""Fixtures: every store test runs on a SQLite file and on a throwaway PostgreSQL schema."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from evolve.store import Store
from tests.evolve.store import fixtures

# Shared fixtures, found by pytest under these names.
pg_schema = fixtures.pg_schema
pg_server = fixtures.pg_server
pg_url = fixtures.pg_url
releases = fixtures.releases


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A database URL for an empty database, on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'evolve.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def open_store(url: str) -> Iterator[Callable[..., Store]]:
    """Open stores on ``url`` (or another URL); all are closed after the test."""
    stores: list[Store] = []

    def make(other: str | None = None, **options) -> Store:
        store = Store(other or url, **options)
        stores.append(store)
        return store

    yield make
    for store in stores:
        store.close()


@pytest.fixture
def store(open_store: Callable[..., Store]) -> Store:
    return open_store()
