"""Running the Alembic migrations shipped in ``evolve/store/migrations``.

Every schema change happens in one transaction that holds a lock (SQLite's
write lock, a PostgreSQL advisory lock), so several processes opening a new
database at once create it exactly once.
"""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from evolve.store._engine import Database, mask_url
from evolve.store._errors import SchemaOutOfDateError, StoreError, UnknownSchemaError
from evolve.store._models import Base

__all__ = [
    "SCRIPT_LOCATION",
    "VERSION_TABLE",
    "check_foreign_keys",
    "current_revision",
    "downgrade",
    "ensure_schema",
    "head_revision",
    "include_name",
    "lock_schema",
    "upgrade",
]

#: Where Alembic finds the migrations: inside the installed package.
SCRIPT_LOCATION = "evolve.store:migrations"
#: Our version table; not ``alembic_version``, which another tool may own.
VERSION_TABLE = "evolve_alembic_version"
_TABLES = frozenset(Base.metadata.tables)


def include_name(name: str | None, type_: str, _parent: Any) -> bool:
    """Alembic autogenerate filter: look at our tables only, never at a neighbour's."""
    if type_ == "table":
        return name in _TABLES
    return True


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for the shipped migrations, bound to ``connection``."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The newest revision this version of evolve knows.

    Example:
        >>> head_revision()
        '0002'
    """
    head = _scripts().get_current_head()
    if head is None:  # pragma: no cover - the package always ships revisions
        raise StoreError("no migrations found in evolve.store.migrations")
    return head


def _revision_of(connection: Connection) -> str | None:
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def _our_tables(connection: Connection) -> list[str]:
    return sorted(_TABLES & set(sa.inspect(connection).get_table_names()))


def lock_schema(connection: Connection) -> None:
    """Serialize schema changes; held until the transaction ends.

    SQLite: the write transaction's ``BEGIN IMMEDIATE`` is that lock already.
    PostgreSQL: a transaction-level advisory lock, one per schema.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text(
            "SELECT pg_advisory_xact_lock(hashtext('evolve.store schema ' || current_schema()))"))


def check_foreign_keys(connection: Connection) -> None:
    """Refuse to commit a SQLite migration that left a dangling foreign key.

    Migrations run with SQLite's foreign keys off (see ``Database``), so this is
    where the keys get checked; ``env.py`` calls it after every migration run.
    """
    if connection.dialect.name != "sqlite":
        return
    problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if problems:
        shown = ", ".join(f"{row[0]} row {row[1]} -> {row[2]}" for row in problems[:5])
        raise StoreError(f"migration left {len(problems)} broken foreign keys ({shown}); "
                         "rolled back")


def _known(revision: str) -> bool:
    try:
        return _scripts().get_revision(revision) is not None
    except Exception:  # Alembic raises several kinds for an unknown id
        return False


def _check(database: Database, revision: str | None, tables: list[str]) -> None:
    url = mask_url(database.url)
    head = head_revision()
    if revision == head:
        return
    if revision is None:
        if tables:
            raise UnknownSchemaError(
                f"{url} has evolve tables ({', '.join(tables)}) but no {VERSION_TABLE} "
                "record; it was not created by `evolve db upgrade`, refusing to touch it")
        return
    if not _known(revision):
        raise UnknownSchemaError(
            f"{url} is at schema revision {revision!r}, which this version of evolve does "
            f"not know (newest known: {head!r}); it was migrated by a newer evolve: "
            "upgrade evolve")
    raise SchemaOutOfDateError(
        f"{url} is at schema revision {revision!r} but this version of evolve needs "
        f"{head!r}: run `evolve db upgrade --db {url}`")


def _state(connection: Connection) -> tuple[str | None, list[str]]:
    return _revision_of(connection), _our_tables(connection)


def ensure_schema(database: Database) -> None:
    """Create a new database at head; refuse an out-of-date or unknown one.

    Args:
        database: the database to check.

    Raises:
        SchemaOutOfDateError: the schema is older than head; the message says to run
            ``evolve db upgrade``.
        UnknownSchemaError: newer than this evolve, or evolve tables without a version.
    """
    # The unlocked look only ever concludes "at head"; anything else is judged
    # under the lock. On PostgreSQL each statement sees a fresh snapshot: two
    # unlocked reads that straddle another process's creating commit would see
    # "no version row" and then "evolve tables", and refuse a healthy database.
    if database.run(_revision_of, write=False) == head_revision():
        return

    def create(connection: Connection) -> None:
        lock_schema(connection)
        revision, tables = _state(connection)  # another process may have won the race
        _check(database, revision, tables)
        if revision is None:
            command.upgrade(alembic_config(connection), "head")

    database.run(create, write=True, migrate=True)


def upgrade(database: Database, revision: str = "head") -> tuple[str | None, str | None]:
    """Migrate ``database`` up to ``revision``.

    Returns:
        The revisions before and after.

    Raises:
        UnknownSchemaError: the database is newer than this evolve, or holds evolve
            tables without a version record.
    """

    def work(connection: Connection) -> tuple[str | None, str | None]:
        lock_schema(connection)
        before, tables = _state(connection)
        if before is None and tables:
            _check(database, before, tables)
        if before is not None and not _known(before):
            _check(database, before, tables)
        command.upgrade(alembic_config(connection), revision)
        return before, _revision_of(connection)

    return database.run(work, write=True, migrate=True)


def downgrade(database: Database, revision: str) -> tuple[str | None, str | None]:
    """Migrate ``database`` down to ``revision`` (``"base"`` drops every evolve table).

    Returns:
        The revisions before and after.
    """

    def work(connection: Connection) -> tuple[str | None, str | None]:
        lock_schema(connection)
        before = _revision_of(connection)
        command.downgrade(alembic_config(connection), revision)
        return before, _revision_of(connection)

    return database.run(work, write=True, migrate=True)


def current_revision(database: Database) -> str | None:
    """The revision recorded in the database, or ``None`` for a database without one."""
    return database.run(_revision_of, write=False)
