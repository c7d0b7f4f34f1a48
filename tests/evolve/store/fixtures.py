"""PostgreSQL fixtures and a "newer release" of the migrations, shared by store and CLI tests.

Import the fixtures into a test module (or conftest) to use them.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

import evolve.store
from evolve.store import _migrate

#: This release's newest revision, and the one a later release would add.
HEAD = _migrate.head_revision()
NEXT = f"{int(HEAD) + 1:04d}"

#: The server the tests use; override with EVOLVE_TEST_PG.
PG_URL = os.environ.get("EVOLVE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_connect():
    import psycopg

    url = make_url(PG_URL)
    return psycopg.connect(host=url.host, port=url.port or 5432, user=url.username,
                           password=url.password, dbname=url.database, connect_timeout=3,
                           autocommit=True)


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The PostgreSQL URL, or a skip with the reason when no server answers."""
    try:
        _pg_connect().close()
    except Exception as error:  # any failure to connect means: no server here
        reason = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        where = make_url(PG_URL).render_as_string(hide_password=True)
        pytest.skip(f"PostgreSQL not reachable at {where} (set EVOLVE_TEST_PG to use "
                    f"another server): {reason}")
    return PG_URL


@pytest.fixture
def pg_schema(pg_server: str) -> Iterator[str]:
    """A fresh schema, dropped (with everything in it) after the test."""
    schema = f"evolve_test_{uuid.uuid4().hex[:12]}"
    with _pg_connect() as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema
    finally:
        with _pg_connect() as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


def pg_url_for(schema: str) -> str:
    """A URL whose connections work inside ``schema`` (tables and version table alike)."""
    return f"{PG_URL}?options=-csearch_path%3D{schema}"


@pytest.fixture
def pg_url(pg_schema: str) -> str:
    return pg_url_for(pg_schema)


# A later revision, as a future release would ship it: it rebuilds `campaigns`
# (SQLite batch mode), a table other tables point at with ON DELETE CASCADE.
NEXT_REVISION = '''
"""Add campaigns.note."""

import sqlalchemy as sa
from alembic import op

revision = "{next}"
down_revision = "{head}"
branch_labels = None
depends_on = None


def _recreate():
    # Force the SQLite table rebuild (the risky path); PostgreSQL alters in place.
    return "always" if op.get_bind().dialect.name == "sqlite" else "auto"


def upgrade():
    with op.batch_alter_table("campaigns", recreate=_recreate()) as batch:
        batch.add_column(sa.Column("note", sa.Text, nullable=True))


def downgrade():
    with op.batch_alter_table("campaigns", recreate=_recreate()) as batch:
        batch.drop_column("note")
'''


class Releases:
    """Switches which migrations the store sees: this release's, or a newer one's."""

    def __init__(self, newer_scripts: Path, monkeypatch: pytest.MonkeyPatch):
        self._newer = str(newer_scripts)
        self._monkeypatch = monkeypatch

    def _use(self, location: str) -> None:
        self._monkeypatch.setattr(_migrate, "SCRIPT_LOCATION", location)
        _migrate._scripts.cache_clear()

    def newer(self) -> None:
        self._use(self._newer)

    def current(self) -> None:
        self._use("evolve.store:migrations")


@pytest.fixture
def releases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Releases]:
    """This release's migrations plus a copy with one more revision (a later release)."""
    shipped = Path(evolve.store.__file__).parent / "migrations"
    copy = tmp_path / "newer-migrations"
    shutil.copytree(shipped, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "versions" / f"{NEXT}_note.py").write_text(
        NEXT_REVISION.replace("{next}", NEXT).replace("{head}", HEAD))
    yield Releases(copy, monkeypatch)
    monkeypatch.undo()
    _migrate._scripts.cache_clear()
