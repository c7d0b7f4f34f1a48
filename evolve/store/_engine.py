"""Database URLs, engines and transactions with retry.

SQLite: WAL journal, a busy timeout, ``BEGIN IMMEDIATE`` for every write
transaction and retry with backoff on "database is locked". PostgreSQL: the
psycopg 3 driver, retry on serialization failures and deadlocks.
"""

from __future__ import annotations

import functools
import json
import os
import random
import re
import sqlite3
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from evolve.store._errors import StoreError

__all__ = ["DEFAULT_URL", "ENV_VAR", "Database", "mask_url", "resolve_url"]

#: Where the store lives when no URL is given and ``EVOLVE_DB`` is unset.
DEFAULT_URL = "sqlite:///evolve.db"
#: Environment variable holding the default database URL.
ENV_VAR = "EVOLVE_DB"

# Execution option that marks a connection whose transactions will write.
_WRITE = "evolve_write"
# SQLite result codes (low byte of the extended code) that mean "try again".
_SQLITE_BUSY_CODES = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED
# PostgreSQL SQLSTATEs that mean "try again": serialization failure, deadlock,
# lock not available.
_PG_RETRY_STATES = {"40001", "40P01", "55P03"}

T = TypeVar("T")

# Every open Database, so that a forked child can drop the pooled connections
# it inherited (they belong to the parent) instead of sharing them.
_OPEN: weakref.WeakSet[Database] = weakref.WeakSet()


def _forget_inherited_connections() -> None:
    for database in list(_OPEN):
        database.engine.dispose(close=False)
        if database._migrator is not None:
            database._migrator.dispose(close=False)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_inherited_connections)


def mask_url(url: str | URL) -> str:
    """``url`` as text with any password replaced by ``***``.

    Example:
        >>> mask_url("postgresql://me:secret@db/evolve")
        'postgresql://me:***@db/evolve'
    """
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    # Also used on text that did not parse, so it cannot rely on make_url.
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", str(url))


def resolve_url(url: str | URL | None = None) -> URL:
    """The SQLAlchemy URL the store will use.

    Args:
        url: a database URL; ``None`` means ``$EVOLVE_DB``, else :data:`DEFAULT_URL`.
            ``postgresql://`` and ``postgres://`` select the psycopg 3 driver.

    Returns:
        The parsed URL.

    Raises:
        StoreError: naming the URL (password masked) when it is not a database URL
            this store supports.

    Example:
        >>> resolve_url("postgresql://me@localhost/evolve").drivername
        'postgresql+psycopg'
    """
    if url is None:
        url = os.environ.get(ENV_VAR) or DEFAULT_URL
    if isinstance(url, str):
        text = url.strip()
        if "://" not in text:
            hint = f" (for a SQLite file write sqlite:///{text})" if text else ""
            raise StoreError(f"not a database URL: {mask_url(text)!r}{hint}")
        try:
            parsed = make_url(text)
        except ArgumentError:
            raise StoreError(f"not a database URL: {mask_url(text)!r}") from None
    else:
        parsed = url
    backend, _, driver = parsed.drivername.partition("+")
    if backend == "postgres":
        backend = "postgresql"
    if backend == "postgresql":
        if driver not in ("", "psycopg"):
            raise StoreError(
                f"unsupported PostgreSQL driver {driver!r} in {mask_url(parsed)}: "
                "use postgresql:// (psycopg 3)"
            )
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        if driver not in ("", "pysqlite"):
            raise StoreError(f"unsupported SQLite driver {driver!r} in {mask_url(parsed)}")
        return parsed.set(drivername="sqlite")
    raise StoreError(
        f"unsupported database {mask_url(parsed)}: use sqlite:///FILE or postgresql://..."
    )


def _json_dumps(value: Any) -> str:
    # allow_nan=False: NaN is not JSON, and PostgreSQL would refuse it anyway.
    return json.dumps(value, allow_nan=False)


class Database:
    """An engine plus transactions that retry on transient lock conflicts.

    Args:
        url: see :func:`resolve_url`.
        timeout: seconds to wait for a lock (SQLite busy timeout) and, in total,
            to keep retrying a transaction that keeps meeting lock conflicts.
    """

    def __init__(self, url: str | URL | None = None, *, timeout: float = 60.0):
        self.url = resolve_url(url)
        self.timeout = float(timeout)
        self.backend = self.url.get_backend_name()
        try:
            self.engine = self._create_engine()
        except (ArgumentError, NoSuchModuleError, ImportError) as error:
            raise StoreError(f"cannot use database {mask_url(self.url)}: {error}") from None
        self._writer = self.engine.execution_options(**{_WRITE: True})
        self._migrator: Engine | None = None
        _OPEN.add(self)

    def __repr__(self) -> str:
        return f"Database({mask_url(self.url)!r})"

    @property
    def is_sqlite(self) -> bool:
        return self.backend == "sqlite"

    def _create_engine(self) -> Engine:
        if self.is_sqlite:
            return self._create_sqlite_engine()
        connect_args: dict[str, Any] = {}
        # Fail fast when the server is away instead of hanging for minutes.
        if "connect_timeout" not in self.url.query:
            connect_args["connect_timeout"] = 10
        if "application_name" not in self.url.query:
            connect_args["application_name"] = "evolve"
        return sa.create_engine(
            self.url,
            pool_pre_ping=True,
            connect_args=connect_args,
            json_serializer=_json_dumps,
        )

    def _create_sqlite_engine(self, *, foreign_keys: bool = True, **options: Any) -> Engine:
        database = self.url.database or ""
        in_memory = database in ("", ":memory:") or "mode=memory" in database
        if not in_memory and not database.startswith("file:"):
            parent = Path(database).expanduser().resolve().parent
            if not parent.is_dir():
                raise StoreError(
                    f"cannot open SQLite database {database!r}: "
                    f"directory {str(parent)!r} does not exist"
                )
        engine = sa.create_engine(
            self.url,
            connect_args={"timeout": self.timeout},
            json_serializer=_json_dumps,
            **options,
        )
        busy_ms = int(self.timeout * 1000)
        event.listen(engine, "connect", functools.partial(
            _sqlite_on_connect, busy_ms=busy_ms, wal=not in_memory, foreign_keys=foreign_keys))
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine

    def _migration_engine(self) -> Engine:
        """The engine schema changes run on.

        SQLite batch migrations rebuild a table by dropping it, and with foreign
        keys on that DROP deletes (cascades to) every referencing row. So
        migrations get their own unpooled connections with foreign keys off, and
        check the keys themselves before committing. In-memory SQLite keeps the
        normal engine: a second connection would see another, empty database.
        """
        if not self.is_sqlite or self.url.database in (None, "", ":memory:"):
            return self._writer
        if self._migrator is None:
            self._migrator = self._create_sqlite_engine(
                foreign_keys=False, poolclass=sa.pool.NullPool,
            ).execution_options(**{_WRITE: True})
        return self._migrator

    def run(self, work: Callable[[Connection], T], *, write: bool, migrate: bool = False) -> T:
        """Run ``work(connection)`` in one transaction, retrying it on lock conflicts.

        ``work`` may run more than once, so it must not have side effects outside
        the database. Any exception rolls the whole transaction back.

        Args:
            work: the transaction body.
            write: whether it writes (on SQLite this takes the write lock up front,
                so two writers never deadlock on a lock upgrade).
            migrate: run on the schema-change connection (see :meth:`_migration_engine`).

        Returns:
            What ``work`` returned.
        """
        engine = self._migration_engine() if migrate else self._writer if write else self.engine
        deadline = time.monotonic() + self.timeout
        attempt = 0
        while True:
            try:
                with engine.begin() as connection:
                    return work(connection)
            except DBAPIError as error:
                if not self._is_transient(error):
                    raise self._wrap(error) from error
                if time.monotonic() >= deadline:
                    raise StoreError(
                        f"{mask_url(self.url)}: gave up after {attempt + 1} attempts over "
                        f"{self.timeout:g} s of lock conflicts: {_first_line(error.orig)}"
                    ) from error
                attempt += 1
                # Full jitter so that colliding writers spread out instead of
                # colliding again in lock step.
                time.sleep(random.uniform(0, min(0.5, 0.005 * 2**attempt)))

    def _is_transient(self, error: DBAPIError) -> bool:
        original = error.orig
        if isinstance(original, sqlite3.OperationalError):
            code = getattr(original, "sqlite_errorcode", None)
            if code is not None:
                return code & 0xFF in _SQLITE_BUSY_CODES
            text = str(original).lower()
            return "locked" in text or "busy" in text
        return getattr(original, "sqlstate", None) in _PG_RETRY_STATES

    def _wrap(self, error: DBAPIError) -> Exception:
        if isinstance(error, sa.exc.IntegrityError):
            # Turned into a message by the caller that knows what was being written.
            return error
        return StoreError(f"database {mask_url(self.url)}: {_first_line(error.orig)}")

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
        if self._migrator is not None:
            self._migrator.dispose()


def _first_line(error: BaseException | None) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _sqlite_on_connect(dbapi_connection: Any, _record: Any, *, busy_ms: int, wal: bool,
                       foreign_keys: bool) -> None:
    # The driver's own implicit BEGIN is switched off so that _sqlite_on_begin
    # decides: DEFERRED for reads, IMMEDIATE for writes.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
        cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        if wal:
            _retry_locked(lambda: cursor.execute("PRAGMA journal_mode = WAL").fetchall(),
                          busy_ms / 1000)
            # Safe with WAL: a power cut may lose the last commits, never consistency.
            cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def _retry_locked(action: Callable[[], Any], seconds: float) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return action()
        except sqlite3.OperationalError as error:
            if "locked" not in str(error).lower() or time.monotonic() >= deadline:
                raise
            time.sleep(random.uniform(0.001, 0.05))


def _sqlite_on_begin(connection: Connection) -> None:
    mode = "IMMEDIATE" if connection.get_execution_options().get(_WRITE) else "DEFERRED"
    connection.exec_driver_sql(f"BEGIN {mode}")
