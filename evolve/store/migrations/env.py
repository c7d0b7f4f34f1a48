"""Alembic environment of the evolve store.

Two ways in: the store (and ``evolve db upgrade``) hands over an open
connection in ``config.attributes["connection"]``, already inside a locked
transaction; ``alembic -c alembic.ini ...`` gets none, and the URL comes from
``-x db=URL``, else ``$EVOLVE_DB``, else ``sqlalchemy.url`` in the ini file.
"""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from evolve.store._engine import ENV_VAR, Database, resolve_url
from evolve.store._migrate import VERSION_TABLE, check_foreign_keys, include_name, lock_schema
from evolve.store._models import Base

config = context.config


def _configure(**options: object) -> None:
    context.configure(
        target_metadata=Base.metadata,
        # Our own version table, so another tool's `alembic_version` in the same
        # database is never read or written.
        version_table=VERSION_TABLE,
        include_name=include_name,
        compare_type=True,
        **options,
    )


def _url() -> str:
    return (context.get_x_argument(as_dictionary=True).get("db")
            or os.environ.get(ENV_VAR)
            or config.get_main_option("sqlalchemy.url"))


def run_offline() -> None:
    url = resolve_url(_url())
    _configure(url=url, literal_binds=True, render_as_batch=url.get_backend_name() == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
    _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    context.run_migrations()
    check_foreign_keys(connection)


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return

    def locked(connection: Connection) -> None:
        lock_schema(connection)  # as `evolve db upgrade` does, so the two never race
        _run(connection)

    database = Database(_url())
    try:
        database.run(locked, write=True, migrate=True)
    finally:
        database.dispose()


if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

if context.is_offline_mode():
    run_offline()
else:
    run_online()
