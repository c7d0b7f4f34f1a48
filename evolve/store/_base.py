"""What the parts of the store share: table handles, SQL helpers and lookups."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, Row

import genome as genome_pkg
from evolve.store import _validate as check
from evolve.store._engine import Database
from evolve.store._errors import AmbiguousKeyError, InvalidInputError, NotFoundError
from evolve.store._models import Campaign, Evaluation, Genome, Lineage, Member
from evolve.store.records import CampaignRecord, CampaignStatus, EvaluationStatus

__all__ = ["CHUNK", "StoreBase", "chunks", "in_batches", "member_of", "of_campaign",
           "short_list", "status_is"]

T = TypeVar("T")

C = Campaign.__table__
G = Genome.__table__
M = Member.__table__
L = Lineage.__table__
E = Evaluation.__table__

# Rows per statement: well under SQLite's bound-parameter limit and small
# enough to keep one PostgreSQL round trip cheap.
CHUNK = 500
_PG_LOOKUP = 10_000

CampaignKey = str | int | CampaignRecord
GenomeKey = int | str | genome_pkg.Genome


def status_is(column: sa.Column, status: EvaluationStatus) -> sa.ColumnElement[bool]:
    """``column = 'status'`` with the status as a literal, not a bound parameter.

    Both planners can use a partial index only when the query's predicate
    visibly matches the index's ``WHERE status = '...'``.
    """
    return column == sa.literal_column(f"'{status.value}'")


def member_of(campaign_id: int) -> sa.ColumnElement[bool]:
    """Whether the evaluation's genome is a member of the campaign (correlated EXISTS)."""
    return sa.exists().where(M.c.campaign_id == campaign_id, M.c.genome_id == E.c.genome_id)


def of_campaign(campaign_id: int) -> sa.ColumnElement[bool]:
    """Whether an evaluation belongs to a campaign: asked for by it, or of one of its members.

    Evaluations are shared between campaigns (one per genome, task, protocol and
    seed), so a campaign also owns those another campaign asked for first.
    """
    return sa.or_(E.c.campaign_id == campaign_id, member_of(campaign_id))


def in_batches(connection: Connection, column: sa.Column,
               values: Sequence[Any]) -> Iterator[sa.ColumnElement[bool]]:
    """``column IN values`` as one condition per batch of values.

    PostgreSQL: ``= ANY(array)``, one parameter for thousands of values (five
    times faster than an IN list, whose placeholders psycopg has to take
    apart). SQLite: IN lists under its bound-parameter limit.
    """
    if connection.dialect.name == "postgresql":
        element = sa.Text() if isinstance(column.type, sa.String) else column.type
        for chunk in chunks(values, _PG_LOOKUP):
            yield column == sa.any_(sa.bindparam(None, list(chunk), type_=ARRAY(element)))
    else:
        for chunk in chunks(values):
            yield column.in_(chunk)


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def short_list(hashes: Iterable[str], limit: int = 3) -> str:
    shown = sorted(hashes)
    text = ", ".join(h[:12] for h in shown[:limit])
    return text + (f" and {len(shown) - limit} more" if len(shown) > limit else "")



class StoreBase:
    """The database handle and the lookups every part of the store uses."""

    _db: Database

    def _read(self, work: Callable[[Connection], T]) -> T:
        return self._db.run(work, write=False)

    def _write(self, work: Callable[[Connection], T]) -> T:
        return self._db.run(work, write=True)


    def _campaign_id(self, connection: Connection, key: CampaignKey) -> int:
        if isinstance(key, CampaignRecord):
            key = key.id
        if isinstance(key, bool) or not isinstance(key, str | int):
            raise InvalidInputError(f"campaign must be a name or an id, got {type(key).__name__}")
        column = C.c.name if isinstance(key, str) else C.c.id
        found = connection.execute(sa.select(C.c.id).where(column == key)).scalar()
        if found is None:
            what = f"named {key!r}" if isinstance(key, str) else f"with id {key}"
            raise NotFoundError(f"no campaign {what}")
        return found

    def _campaign_record(self, connection: Connection, key: CampaignKey) -> CampaignRecord:
        column = C.c.name if isinstance(key, str) else C.c.id
        return self._to_campaign(connection.execute(sa.select(C).where(column == key)).one())

    @staticmethod
    def _to_campaign(row: Row) -> CampaignRecord:
        return CampaignRecord(
            id=row.id, name=row.name, config=row.config, seed=row.seed,
            status=CampaignStatus(row.status), created_at=row.created_at,
            updated_at=row.updated_at, stats=dict(row.stats or {}))


    def _genome_row(self, connection: Connection, key: GenomeKey,
                    columns: Sequence[sa.Column]) -> Row:
        query = sa.select(*columns)
        if isinstance(key, genome_pkg.Genome):
            key = key.hash
        if isinstance(key, bool) or not isinstance(key, int | str):
            raise InvalidInputError(
                f"genome key must be an id, a hash (prefix) or a Genome, got {type(key).__name__}")
        if isinstance(key, int):
            row = connection.execute(query.where(G.c.id == key)).first()
            if row is None:
                raise NotFoundError(f"no genome with id {key}")
            return row
        wanted = check.prefix(key)
        # A range on the unique index: 'g' sorts after every hex digit.
        rows = connection.execute(query.where(G.c.hash >= wanted, G.c.hash < wanted + "g")
                                  .order_by(G.c.hash).limit(6)).all()
        if not rows:
            raise NotFoundError(f"no genome with hash {'prefix ' if len(wanted) < 64 else ''}"
                                f"{wanted!r}")
        if len(rows) > 1:
            more = "at least " if len(rows) == 6 else ""
            raise AmbiguousKeyError(
                f"hash prefix {wanted!r} is ambiguous: it matches {more}{len(rows)} genomes "
                f"({short_list([r.hash for r in rows], 5)}); give more digits")
        return rows[0]

    def _ids_of(self, connection: Connection, hashes: Sequence[str]) -> dict[str, int]:
        ids: dict[str, int] = {}
        for among in in_batches(connection, G.c.hash, hashes):
            for row in connection.execute(sa.select(G.c.hash, G.c.id).where(among)):
                ids[row.hash] = row.id
        return ids

    def _require_ids(self, connection: Connection, hashes: Iterable[str]) -> dict[str, int]:
        wanted = sorted(set(hashes))
        ids = self._ids_of(connection, wanted)
        missing = [h for h in wanted if h not in ids]
        if missing:
            raise NotFoundError(
                f"unknown genome hash{'es' if len(missing) > 1 else ''} {short_list(missing)} "
                f"(add genomes with add_genomes first); nothing was stored")
        return ids


    def _hashes_of(self, connection: Connection, ids: Iterable[int]) -> dict[int, str]:
        hashes: dict[int, str] = {}
        for among in in_batches(connection, G.c.id, sorted(ids)):
            for row in connection.execute(sa.select(G.c.id, G.c.hash).where(among)):
                hashes[row.id] = row.hash
        return hashes

