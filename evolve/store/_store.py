"""The :class:`Store`: every genome, evaluation, campaign and lineage edge in one database."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import URL, Connection

from evolve.store._base import C, E, G, L, M
from evolve.store._campaigns import CampaignMixin
from evolve.store._engine import Database, mask_url
from evolve.store._errors import NotFoundError
from evolve.store._evaluations import EvaluationMixin
from evolve.store._genomes import GenomeMixin
from evolve.store._migrate import current_revision, ensure_schema
from evolve.store._ranking import RankingMixin

__all__ = ["Store"]


def _reopen(url: URL, timeout: float) -> Store:
    return Store(url, timeout=timeout)


class Store(CampaignMixin, GenomeMixin, EvaluationMixin, RankingMixin):
    """Every genome, evaluation, campaign and lineage edge, in SQLite or PostgreSQL.

    A new database is created at the newest schema; an older one must first be
    migrated with ``evolve db upgrade``. All methods are safe to call from many
    processes at once; records returned are plain frozen dataclasses.

    Args:
        url: a SQLAlchemy URL such as ``sqlite:///evolve.db`` or
            ``postgresql://user@host/db``; ``None`` means ``$EVOLVE_DB``, else
            ``sqlite:///evolve.db``.
        timeout: seconds to wait on locks (and to keep retrying a transaction that
            keeps meeting lock conflicts) before giving up with :class:`StoreError`.

    Raises:
        StoreError: for a bad or unreachable URL (password masked in the message).
        SchemaOutOfDateError: the database needs ``evolve db upgrade``.
        UnknownSchemaError: the database was migrated by a newer evolve.

    Example:
        >>> store = Store("sqlite:///:memory:")
        >>> ids = store.add_genomes([genome.seeds.get("gru")])
        >>> store.genome(next(iter(ids))[:8]).text.splitlines()[0]
        'z = sigmoid(W x + U h + b)'
    """

    def __init__(self, url: str | URL | None = None, *, timeout: float = 60.0,
                 create: bool = True):
        if not create:
            _require_sqlite_file(url)
        self._db = Database(url, timeout=timeout)
        try:
            if not create and current_revision(self._db) is None:
                raise NotFoundError(
                    f"{mask_url(self._db.url)} holds no evolve database; `evolve run` or "
                    f"`evolve db upgrade --db URL` creates one")
            ensure_schema(self._db)
        except BaseException:
            self._db.dispose()
            raise

    # -- life cycle -----------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The database URL, password masked."""
        return mask_url(self._db.url)

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._db.backend

    def close(self) -> None:
        """Close the pooled connections; the store can still be used (it reconnects).

        Example:
            >>> with Store("sqlite:///runs.db") as store:  # closed on leaving the block
            ...     store.campaigns()
            []
        """
        self._db.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    def __reduce__(self) -> tuple[Callable[..., Store], tuple[URL, float]]:
        # A store sent to another process reconnects there (engines do not pickle).
        return _reopen, (self._db.url, self._db.timeout)

    def analyze(self) -> None:
        """Refresh the query planner's statistics; worth calling after a large bulk import.

        PostgreSQL's autovacuum does this by itself, but only some time after a
        table has grown; until then plans are made for the old, smaller table
        (on a freshly loaded PostgreSQL database, ``best(campaign=...)`` took
        70 ms instead of 2 ms). SQLite plans well without statistics.

        Example:
            >>> store.analyze()
        """
        tables = ", ".join(table.name for table in (C, G, M, L, E))

        def work(connection: Connection) -> None:
            if self._db.is_sqlite:
                connection.exec_driver_sql("PRAGMA optimize")
            else:
                connection.exec_driver_sql(f"ANALYZE {tables}")

        self._write(work)


def _require_sqlite_file(url: str | URL | None) -> None:
    """Refuse a SQLite file that does not exist, rather than create an empty one."""
    from pathlib import Path

    from evolve.store._engine import resolve_url

    parsed = resolve_url(url)
    if parsed.get_backend_name() != "sqlite":
        return
    path = parsed.database or ""
    if path and path != ":memory:" and not path.startswith("file:") and not Path(path).exists():
        folder = Path(path).parent
        # `evolve run` makes the file, not the folders above it: say so first.
        first = "" if folder.is_dir() else f"create the directory {str(folder)!r}, then "
        raise NotFoundError(f"no database file {path}; {first}`evolve run` or `evolve db "
                            f"upgrade --db {mask_url(parsed)}` creates one")
