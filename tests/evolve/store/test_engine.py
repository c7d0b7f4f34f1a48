"""URLs, engines and the SQLite settings behind the store."""

from __future__ import annotations

import pickle

import pytest

from evolve.store import DEFAULT_URL, ENV_VAR, Store, StoreError, mask_url, resolve_url
from evolve.store._engine import Database
from tests.evolve.store.helpers import variant


@pytest.mark.parametrize(("given", "driver"), [
    ("postgresql://me@localhost/evolve", "postgresql+psycopg"),
    ("postgres://me@localhost/evolve", "postgresql+psycopg"),
    ("postgresql+psycopg://me@localhost/evolve", "postgresql+psycopg"),
    ("sqlite:///runs.db", "sqlite"),
    ("sqlite://", "sqlite"),
])
def test_urls_select_the_supported_drivers(given, driver):
    assert resolve_url(given).drivername == driver


@pytest.mark.parametrize(("given", "message"), [
    ("evolve.db", "not a database URL: 'evolve.db' (for a SQLite file write sqlite:///evolve.db)"),
    ("", "not a database URL: ''"),
    ("mysql://me:hunter2@db/evolve", "unsupported database mysql://me:***@db/evolve"),
    ("postgresql+asyncpg://me:hunter2@db/x", "unsupported PostgreSQL driver 'asyncpg'"),
    ("::://", "not a database URL"),
])
def test_bad_urls_are_named_with_the_password_masked(given, message):
    with pytest.raises(StoreError) as caught:
        Store(given)
    assert message in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_mask_url():
    assert mask_url("postgresql://me:s3cret@db:5432/x") == "postgresql://me:***@db:5432/x"
    assert mask_url(resolve_url("postgresql://me:s3cret@db/x")) == (
        "postgresql+psycopg://me:***@db/x")
    assert mask_url("sqlite:///a.db") == "sqlite:///a.db"


def test_unreachable_server_is_one_clear_error_without_the_password():
    with pytest.raises(StoreError) as caught:
        Store("postgresql://me:hunter2@127.0.0.1:1/nowhere", timeout=5)
    text = str(caught.value)
    assert "postgresql+psycopg://me:***@127.0.0.1:1/nowhere" in text
    assert "hunter2" not in text


def test_missing_directory_is_named(tmp_path):
    with pytest.raises(StoreError, match=r"directory .*no/such/dir.* does not exist"):
        Store(f"sqlite:///{tmp_path}/no/such/dir/evolve.db")


def test_default_is_evolve_db_in_the_working_directory_unless_evolve_db_is_set(
        tmp_path, monkeypatch):
    assert DEFAULT_URL == "sqlite:///evolve.db" and ENV_VAR == "EVOLVE_DB"
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(ENV_VAR, raising=False)
    with Store() as store:
        store.add_genomes([variant(1)])
        assert store.url == "sqlite:///evolve.db"
    assert (tmp_path / "evolve.db").exists()
    monkeypatch.setenv(ENV_VAR, f"sqlite:///{tmp_path / 'other.db'}")
    with Store() as store:
        assert store.add_genomes([variant(2)]) == {variant(2).hash: 1}
    assert (tmp_path / "other.db").exists()


def test_sqlite_connections_use_wal_a_busy_timeout_and_foreign_keys(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'e.db'}", timeout=7)
    try:
        with database.engine.connect() as connection:
            pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
            assert pragma("journal_mode") == "wal"
            assert pragma("busy_timeout") == 7000
            assert pragma("foreign_keys") == 1
            assert pragma("synchronous") == 1  # NORMAL
    finally:
        database.dispose()


def test_write_transactions_take_the_sqlite_write_lock_up_front(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'e.db'}")
    statements: list[str] = []
    from sqlalchemy import event

    event.listen(database.engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *rest: statements.append(statement))
    try:
        database.run(lambda c: c.exec_driver_sql("SELECT 1").scalar(), write=True)
        database.run(lambda c: c.exec_driver_sql("SELECT 1").scalar(), write=False)
    finally:
        database.dispose()
    begins = [s for s in statements if s.startswith("BEGIN")]
    assert begins == ["BEGIN IMMEDIATE", "BEGIN DEFERRED"]


def test_in_memory_store_works_for_quick_experiments():
    with Store("sqlite://") as store:
        assert store.add_genomes([variant(1)]) == {variant(1).hash: 1}
        assert store.genome(1).hash == variant(1).hash


def test_a_store_travels_to_other_processes_by_url(url, store):
    store.add_genomes([variant(1)])
    copy = pickle.loads(pickle.dumps(store))
    try:
        assert copy.url == store.url
        assert copy.genome(variant(1).hash).id == 1
    finally:
        copy.close()


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_a_forked_child_opens_its_own_connections(url, store):
    import os

    store.add_genomes([variant(1)])  # the parent now holds pooled connections
    pid = os.fork()
    if pid == 0:  # the child: use the inherited store, then leave without cleanup
        code = 1
        try:
            store.add_genomes([variant(2)])
            code = 0 if store.genome(variant(2).hash).id == 2 else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert store.genome(variant(1).hash).id == 1  # the parent's connections still work
    assert store.add_genomes([variant(3)]) == {variant(3).hash: 3}


def test_a_postgresql_url_without_a_usable_schema_is_a_store_error(pg_server):
    from tests.evolve.store.fixtures import pg_url_for

    with pytest.raises(StoreError, match="no schema has been selected"):
        Store(pg_url_for("evolve_no_such_schema"))
