"""Migrations: new databases, round trips, neighbours' schemas, out-of-date databases."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from evolve.store import (
    VERSION_TABLE,
    SchemaOutOfDate,
    SchemaOutOfDateError,
    Store,
    UnknownSchemaError,
    _migrate,
)
from evolve.store._engine import Database
from evolve.store._models import Base
from tests.evolve.store import _workers
from tests.evolve.store.fixtures import HEAD, NEXT
from tests.evolve.store.helpers import variant

REPO = Path(__file__).resolve().parents[3]
OUR_TABLES = {"campaigns", "genomes", "campaign_members", "lineage", "evaluations"}

def _tables(url: str) -> set[str]:
    database = Database(url)
    try:
        with database.engine.connect() as connection:
            return set(sa.inspect(connection).get_table_names())
    finally:
        database.dispose()


def _scalar(url: str, sql: str):
    database = Database(url)
    try:
        return database.run(lambda c: c.execute(sa.text(sql)).scalar(), write=False)
    finally:
        database.dispose()


def _execute(url: str, *statements: str) -> None:
    database = Database(url)
    try:
        def work(connection):
            for statement in statements:
                connection.execute(sa.text(statement))
        database.run(work, write=True)
    finally:
        database.dispose()


def _migrate_to(url: str, revision: str, down: bool = False):
    database = Database(url)
    try:
        step = _migrate.downgrade if down else _migrate.upgrade
        return step(database, revision)
    finally:
        database.dispose()


def test_a_new_database_is_created_at_head_with_its_own_version_table(url, open_store):
    store = open_store()
    assert OUR_TABLES | {VERSION_TABLE} <= _tables(url)
    assert "alembic_version" not in _tables(url)
    assert _scalar(url, f"SELECT version_num FROM {VERSION_TABLE}") == _migrate.head_revision()
    assert store.add_genomes([variant(1)])  # usable at once
    open_store()  # opening again neither migrates nor fails


def test_downgrade_to_base_and_upgrade_again(url, open_store):
    store = open_store()
    store.add_genomes([variant(1)])
    store.close()
    assert _migrate_to(url, "base", down=True) == (HEAD, None)
    assert not OUR_TABLES & _tables(url)
    assert _migrate_to(url, "head") == (None, HEAD)
    assert _tables(url) >= OUR_TABLES
    reopened = open_store()
    assert reopened.add_genomes([variant(1)]) == {variant(1).hash: 1}  # empty again


def test_another_alembic_managed_schema_is_left_intact(url, open_store):
    _execute(url,
             "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)",
             "INSERT INTO alembic_version VALUES ('4f2e1d0c9b8a')",
             "CREATE TABLE other_app_items (id INTEGER PRIMARY KEY, name TEXT)",
             "INSERT INTO other_app_items VALUES (1, 'keep me'), (2, 'me too')")

    def neighbour_intact() -> None:
        assert _scalar(url, "SELECT version_num FROM alembic_version") == "4f2e1d0c9b8a"
        assert _scalar(url, "SELECT count(*) FROM alembic_version") == 1
        assert _scalar(url, "SELECT string_agg(name, ',') FROM other_app_items"
                       if "postgresql" in url else
                       "SELECT group_concat(name, ',') FROM other_app_items") == "keep me,me too"

    store = open_store()  # created at head, next to the neighbour
    store.add_genomes([variant(1)])
    neighbour_intact()
    _migrate_to(url, "base", down=True)
    neighbour_intact()
    assert not OUR_TABLES & _tables(url)
    _migrate_to(url, "head")
    neighbour_intact()


def test_models_and_migrations_describe_the_same_schema(url, open_store):
    open_store()
    database = Database(url)
    try:
        def diff(connection):
            context = MigrationContext.configure(connection, opts={
                "version_table": VERSION_TABLE, "include_name": _migrate.include_name,
                "compare_type": True})
            return compare_metadata(context, Base.metadata)

        assert database.run(diff, write=False) == []

        def names(connection):
            inspector = sa.inspect(connection)
            found = set()
            for table in OUR_TABLES:
                found |= {c["name"] for c in inspector.get_check_constraints(table)}
                found |= {c["name"] for c in inspector.get_unique_constraints(table)}
                found |= {c["name"] for c in inspector.get_foreign_keys(table)}
                found |= {i["name"] for i in inspector.get_indexes(table)}
            return found

        expected = set()
        for table in Base.metadata.sorted_tables:
            expected |= {c.name for c in table.constraints if not isinstance(
                c, sa.PrimaryKeyConstraint)}
            expected |= {i.name for i in table.indexes}
        assert expected <= database.run(names, write=False)
    finally:
        database.dispose()


def test_out_of_date_database_says_to_run_evolve_db_upgrade(url, open_store, releases):
    older = open_store()  # this release creates the database at HEAD
    older.create_campaign("c")
    gs = [variant(i) for i in range(3)]
    older.add_genomes(gs)
    older.add_members("c", [(g.hash, 0, i, "seed") for i, g in enumerate(gs)])
    older.add_lineage([(gs[0], gs[1], "mutation", "c")])
    older.close()

    releases.newer()
    with pytest.raises(SchemaOutOfDateError) as caught:
        Store(url)
    message = str(caught.value)
    assert f"revision '{HEAD}'" in message and f"needs '{NEXT}'" in message
    assert "run `evolve db upgrade --db" in message
    assert SchemaOutOfDate is SchemaOutOfDateError

    assert _migrate_to(url, "head") == (HEAD, NEXT)
    upgraded = open_store()
    # Rebuilding `campaigns` did not cascade into the rows that point at it.
    assert len(upgraded.members("c")) == 3
    assert len(upgraded.lineage(gs[1]).parents) == 1
    assert _scalar(url, "SELECT count(*) FROM campaigns WHERE note IS NULL") == 1
    upgraded.close()
    assert _migrate_to(url, HEAD, down=True) == (NEXT, HEAD)
    assert _scalar(url, "SELECT count(*) FROM campaign_members") == 3
    _migrate_to(url, "head")

    releases.current()  # an older install meets the database a newer one migrated
    with pytest.raises(UnknownSchemaError, match=rf"revision '{NEXT}'.*newer evolve"):
        Store(url)


def test_evolve_tables_without_a_version_record_are_not_touched(url):
    _execute(url, "CREATE TABLE genomes (id INTEGER PRIMARY KEY, hash TEXT)")
    with pytest.raises(UnknownSchemaError, match=r"has evolve tables .*genomes.* no "
                                                 r"evolve_alembic_version record"):
        Store(url)
    assert _tables(url) >= {"genomes"} and not (OUR_TABLES - {"genomes"}) & _tables(url)


def test_processes_opening_a_new_database_together_create_it_once(url):
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        revisions = pool.map(_workers.open_and_report, [url] * 4)
    assert revisions == [_migrate.head_revision()] * 4
    assert _scalar(url, f"SELECT count(*) FROM {VERSION_TABLE}") == 1


def test_plain_alembic_with_the_top_level_ini(tmp_path):
    db = f"sqlite:///{tmp_path / 'plain.db'}"
    run = [sys.executable, "-m", "alembic", "-c", str(REPO / "alembic.ini"), "-x", f"db={db}"]
    done = subprocess.run([*run, "upgrade", "head"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    current = subprocess.run([*run, "current"], cwd=REPO, capture_output=True, text=True)
    assert f"{HEAD} (head)" in current.stdout
    assert VERSION_TABLE in _tables(db) and "alembic_version" not in _tables(db)
    Store(db).close()  # the store accepts what plain Alembic built


def test_head_revision_example_names_the_newest_shipped_revision():
    import doctest

    versions = Path(_migrate.__file__).parent / "migrations" / "versions"
    newest = max(p.name.split("_")[0] for p in versions.glob("[0-9]*_*.py"))
    assert _migrate.head_revision() == newest
    # The docstring's example runs and shows that revision.
    test = doctest.DocTestFinder().find(_migrate.head_revision, "head_revision",
                                        globs={"head_revision": _migrate.head_revision})[0]
    assert doctest.DocTestRunner().run(test).failed == 0
    assert repr(newest) in _migrate.head_revision.__doc__
