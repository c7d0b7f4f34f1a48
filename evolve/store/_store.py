"""The :class:`Store`: every genome, evaluation, campaign and lineage edge in one database."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import URL, Connection, Row

import genome as genome_pkg
from evolve.store import _validate as check
from evolve.store._bulk import insert_rows
from evolve.store._engine import Database, mask_url
from evolve.store._errors import (
    AlreadyFinishedError,
    AmbiguousKeyError,
    InvalidInputError,
    LeaseLostError,
    NotFoundError,
)
from evolve.store._migrate import ensure_schema
from evolve.store._models import Campaign, Evaluation, Genome, Lineage, Member, utcnow
from evolve.store.records import (
    Added,
    CampaignRecord,
    CampaignStatus,
    EvaluationRecord,
    EvaluationStatus,
    GenomeRecord,
    LineageEdge,
    MemberRecord,
    NewEvaluation,
    Origin,
)
from evolve.store.records import Lineage as LineageRecord
from evolve.store.records import RankedGenome as Ranked

__all__ = ["Store"]

T = TypeVar("T")

C = Campaign.__table__
G = Genome.__table__
M = Member.__table__
L = Lineage.__table__
E = Evaluation.__table__

# Rows per statement: well under SQLite's bound-parameter limit and small
# enough to keep one PostgreSQL round trip cheap.
_CHUNK = 500
_PG_LOOKUP = 10_000
# The columns that identify an evaluation (its unique constraint).
_KEY = ("genome_id", "task", "protocol_hash", "seed")
# Members up to which best(campaign=...) sorts the campaign's own evaluations
# rather than walking the global score index (see _best_evaluations).
_SMALL_CAMPAIGN = 2000

CampaignKey = str | int | CampaignRecord
GenomeKey = int | str | genome_pkg.Genome

_EVALUATION_COLUMNS = (
    E.c.id, E.c.genome_id, G.c.hash, E.c.task, E.c.protocol_hash, E.c.seed, E.c.status,
    E.c.score, E.c.metrics, E.c.error, E.c.worker, E.c.attempts, E.c.campaign_id,
    E.c.created_at, E.c.started_at, E.c.finished_at, E.c.heartbeat_at,
)
_GENOME_COLUMNS = (G.c.id, G.c.hash, G.c.canonical, G.c.text, G.c.data, G.c.size, G.c.height,
                   G.c.n_slots, G.c.created_at)


def _is(column: sa.Column, status: EvaluationStatus) -> sa.ColumnElement[bool]:
    # A literal rather than a bound parameter, so both planners see that the
    # query matches the partial indexes on status.
    return column == sa.literal_column(f"'{status.value}'")


def _member_of(campaign_id: int) -> sa.ColumnElement[bool]:
    """Whether the evaluation's genome is a member of the campaign (correlated EXISTS)."""
    return sa.exists().where(M.c.campaign_id == campaign_id, M.c.genome_id == E.c.genome_id)


def _among(connection: Connection, column: sa.Column,
           values: Sequence[Any]) -> Iterator[sa.ColumnElement[bool]]:
    """``column IN values`` as one condition per batch of values.

    PostgreSQL: ``= ANY(array)``, one parameter for thousands of values (five
    times faster than an IN list, whose placeholders psycopg has to take
    apart). SQLite: IN lists under its bound-parameter limit.
    """
    if connection.dialect.name == "postgresql":
        element = sa.Text() if isinstance(column.type, sa.String) else column.type
        for chunk in _chunks(values, _PG_LOOKUP):
            yield column == sa.any_(sa.bindparam(None, list(chunk), type_=ARRAY(element)))
    else:
        for chunk in _chunks(values):
            yield column.in_(chunk)


def _chunks(items: Sequence[T], size: int = _CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _short(hashes: Iterable[str], limit: int = 3) -> str:
    shown = sorted(hashes)
    text = ", ".join(h[:12] for h in shown[:limit])
    return text + (f" and {len(shown) - limit} more" if len(shown) > limit else "")


def _reopen(url: URL, timeout: float) -> Store:
    return Store(url, timeout=timeout)


class Store:
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
        SchemaOutOfDate: the database needs ``evolve db upgrade``.
        UnknownSchemaError: the database was migrated by a newer evolve.

    Example:
        >>> store = Store("sqlite:///:memory:")
        >>> ids = store.add_genomes([genome.seeds.get("gru")])
        >>> store.genome(next(iter(ids))[:8]).text.splitlines()[0]
        'z = sigmoid(W x + U h + b)'
    """

    def __init__(self, url: str | URL | None = None, *, timeout: float = 60.0):
        self._db = Database(url, timeout=timeout)
        try:
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
        """Close the pooled connections; the store can still be used (it reconnects)."""
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

    def _read(self, work: Callable[[Connection], T]) -> T:
        return self._db.run(work, write=False)

    def _write(self, work: Callable[[Connection], T]) -> T:
        return self._db.run(work, write=True)

    # -- campaigns ------------------------------------------------------------------------

    def create_campaign(self, name: str, config: Mapping[str, Any] | None = None,
                        seed: int = 0) -> CampaignRecord:
        """Create a campaign.

        Args:
            name: unique name.
            config: the campaign's configuration, any JSON object.
            seed: its random seed.

        Returns:
            The new campaign.

        Raises:
            InvalidInputError: a campaign of that name exists, or the input is malformed.

        Example:
            >>> store.create_campaign("gru-hunt", {"population": 100}, seed=1).status
            <CampaignStatus.CREATED: 'created'>
        """
        name = check.text(name, "campaign name")
        config = check.json_object({} if config is None else config, "campaign config")
        seed = check.integer(seed, "campaign seed")
        now = utcnow()

        def work(connection: Connection) -> CampaignRecord:
            if connection.execute(sa.select(C.c.id).where(C.c.name == name)).first():
                raise InvalidInputError(f"campaign {name!r} already exists")
            try:
                connection.execute(C.insert().values(
                    name=name, config=config, seed=seed, status=CampaignStatus.CREATED.value,
                    created_at=now, updated_at=now))
            except sa.exc.IntegrityError:
                # Another process created it between our check and our insert.
                raise InvalidInputError(f"campaign {name!r} already exists") from None
            return self._campaign_record(connection, name)

        return self._write(work)

    def campaign(self, name: CampaignKey) -> CampaignRecord:
        """A campaign by name (or id).

        Raises:
            NotFoundError: no such campaign.

        Example:
            >>> store.campaign("gru-hunt").seed
            1
        """
        return self._read(lambda connection: self._campaign_record(
            connection, self._campaign_id(connection, name)))

    def campaigns(self) -> list[CampaignRecord]:
        """Every campaign, oldest first.

        Example:
            >>> [c.name for c in store.campaigns()]
            ['gru-hunt']
        """
        def work(connection: Connection) -> list[CampaignRecord]:
            rows = connection.execute(sa.select(C).order_by(C.c.id))
            return [self._to_campaign(row) for row in rows]

        return self._read(work)

    def set_campaign_status(self, name: CampaignKey,
                            status: CampaignStatus | str) -> CampaignRecord:
        """Set a campaign's status: created, running, stopped, finished or failed.

        Returns:
            The updated campaign.

        Example:
            >>> store.set_campaign_status("gru-hunt", "running").status
            <CampaignStatus.RUNNING: 'running'>
        """
        status = check.choice(status, CampaignStatus, "campaign status")

        def work(connection: Connection) -> CampaignRecord:
            campaign_id = self._campaign_id(connection, name)
            connection.execute(C.update().where(C.c.id == campaign_id).values(
                status=status.value, updated_at=utcnow()))
            return self._campaign_record(connection, campaign_id)

        return self._write(work)

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
            updated_at=row.updated_at)

    # -- genomes --------------------------------------------------------------------------

    def add_genomes(self, genomes: Iterable[genome_pkg.Genome | str]) -> dict[str, int]:
        """Store genomes; those already stored (same hash) are kept as they are.

        Args:
            genomes: :class:`genome.Genome` objects or notation text.

        Returns:
            Hash → id for every genome given, in input order.

        Raises:
            InvalidInputError: an item is not a genome; nothing is stored.

        Example:
            >>> ids = store.add_genomes([genome.parse("h' = tanh(W x + U h + b)")])
            >>> list(ids.values())
            [1]
        """
        items = [check.as_genome(g, f"genomes[{i}]") for i, g in enumerate(genomes)]
        first = {item.hash: item for item in reversed(items)}  # first occurrence wins
        # Sorted, so that concurrent writers insert overlapping keys in the same
        # order and PostgreSQL never sees them deadlock.
        hashes = sorted(first)
        if not hashes:
            return {}
        # Look first, outside the write lock: genomes seen before (a resumed
        # campaign, a mutation that led back to a known cell) skip the cost of
        # building their rows.
        ids = self._read(lambda connection: self._ids_of(connection, hashes))
        now = utcnow()
        missing = [{
            "hash": digest, "canonical": str(first[digest].canonical()),
            "text": str(first[digest]), "data": genome_pkg.to_json(first[digest]),
            "size": first[digest].size, "height": first[digest].height,
            "n_slots": len(first[digest].slots), "created_at": now,
        } for digest in hashes if digest not in ids]

        def work(connection: Connection) -> dict[str, int]:
            # ON CONFLICT: another process may have added some since we looked.
            insert_rows(connection, G, missing, conflict=["hash"])
            return self._ids_of(connection, [row["hash"] for row in missing])

        if missing:
            ids.update(self._write(work))
        return {item.hash: ids[item.hash] for item in items}

    def genome(self, key: GenomeKey) -> GenomeRecord:
        """One genome by id, full hash, hash prefix (at least 4 hex digits) or Genome.

        Raises:
            NotFoundError: nothing matches.
            AmbiguousKeyError: the prefix matches several genomes (they are named).

        Example:
            >>> store.genome("3f2a").hash[:4]
            '3f2a'
        """
        return self._read(lambda connection: self._genome_record(connection, key))

    def _genome_record(self, connection: Connection, key: GenomeKey) -> GenomeRecord:
        row = self._genome_row(connection, key, _GENOME_COLUMNS)
        return GenomeRecord(**row._mapping)

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
                f"({_short([r.hash for r in rows], 5)}); give more digits")
        return rows[0]

    def _ids_of(self, connection: Connection, hashes: Sequence[str]) -> dict[str, int]:
        ids: dict[str, int] = {}
        for among in _among(connection, G.c.hash, hashes):
            for row in connection.execute(sa.select(G.c.hash, G.c.id).where(among)):
                ids[row.hash] = row.id
        return ids

    def _require_ids(self, connection: Connection, hashes: Iterable[str]) -> dict[str, int]:
        wanted = sorted(set(hashes))
        ids = self._ids_of(connection, wanted)
        missing = [h for h in wanted if h not in ids]
        if missing:
            raise NotFoundError(
                f"unknown genome hash{'es' if len(missing) > 1 else ''} {_short(missing)} "
                f"(add genomes with add_genomes first); nothing was stored")
        return ids

    # -- campaign members -----------------------------------------------------------------

    def add_members(self, campaign: CampaignKey,
                    members: Iterable[tuple[Any, int, int, Origin | str]]) -> int:
        """Record genomes as members of a campaign.

        Args:
            campaign: the campaign (name or id).
            members: ``(genome hash or Genome, generation, birth_order, origin)`` with
                origin one of ``seed``, ``mutation``, ``crossover``, ``random``.
                A genome already in the campaign keeps its first membership.

        Returns:
            How many memberships were created.

        Raises:
            NotFoundError: unknown campaign or genome; nothing is stored.
            InvalidInputError: a malformed item; nothing is stored.

        Example:
            >>> store.add_members("gru-hunt", [(gru.hash, 0, 0, "seed")])
            1
        """
        rows: dict[str, dict[str, Any]] = {}
        now = utcnow()
        for index, item in enumerate(members):
            where = f"members[{index}]"
            if not isinstance(item, tuple | list) or len(item) != 4:
                raise InvalidInputError(
                    f"{where} must be (genome hash, generation, birth_order, origin)")
            digest = check.full_hash(item[0], f"{where} genome")
            entry = {
                "generation": check.integer(item[1], f"{where} generation", minimum=0),
                "birth_order": check.integer(item[2], f"{where} birth_order", minimum=0),
                "origin": check.choice(item[3], Origin, f"{where} origin").value,
                "alive": True, "score": None, "created_at": now,
            }
            rows.setdefault(digest, entry)

        def work(connection: Connection) -> int:
            campaign_id = self._campaign_id(connection, campaign)
            ids = self._require_ids(connection, rows)
            values = [{**rows[h], "campaign_id": campaign_id, "genome_id": ids[h]}
                      for h in sorted(rows)]
            return len(insert_rows(connection, M, values, conflict=["campaign_id", "genome_id"],
                                   returning=["id"]))

        return self._write(work) if rows else 0

    def members(self, campaign: CampaignKey, *, alive: bool | None = None) -> list[MemberRecord]:
        """A campaign's members in birth order; ``alive`` filters on the alive flag.

        Example:
            >>> [m.origin for m in store.members("gru-hunt")]
            [<Origin.SEED: 'seed'>]
        """
        def work(connection: Connection) -> list[MemberRecord]:
            campaign_id = self._campaign_id(connection, campaign)
            query = (sa.select(M, G.c.hash).join(G, G.c.id == M.c.genome_id)
                     .where(M.c.campaign_id == campaign_id)
                     .order_by(M.c.generation, M.c.birth_order, M.c.id))
            if alive is not None:
                query = query.where(M.c.alive == bool(alive))
            return [MemberRecord(
                campaign_id=row.campaign_id, genome_id=row.genome_id, genome_hash=row.hash,
                generation=row.generation, birth_order=row.birth_order,
                origin=Origin(row.origin), alive=row.alive, score=row.score)
                for row in connection.execute(query)]

        return self._read(work)

    def set_alive(self, campaign: CampaignKey, genomes: Iterable[Any], alive: bool) -> int:
        """Set the alive flag of some members of a campaign.

        Returns:
            How many members were updated.

        Raises:
            NotFoundError: a genome is not a member of the campaign; nothing changes.

        Example:
            >>> store.set_alive("gru-hunt", [gru.hash], False)
            1
        """
        if not isinstance(alive, bool):
            raise InvalidInputError(f"alive must be True or False, got {alive!r}")
        hashes = {check.full_hash(g, f"genomes[{i}]") for i, g in enumerate(genomes)}

        def work(connection: Connection) -> int:
            campaign_id, genome_ids = self._member_ids(connection, campaign, hashes)
            updated = 0
            for among in _among(connection, M.c.genome_id, sorted(genome_ids.values())):
                updated += connection.execute(M.update().where(
                    M.c.campaign_id == campaign_id, among,
                ).values(alive=alive)).rowcount
            return updated

        return self._write(work) if hashes else 0

    def kill_members(self, campaign: CampaignKey, genomes: Iterable[Any]) -> int:
        """Mark members of a campaign dead (they leave the population, not the database).

        Example:
            >>> store.kill_members("gru-hunt", [gru.hash])
            1
        """
        return self.set_alive(campaign, genomes, False)

    def set_member_scores(self, campaign: CampaignKey, scores: Mapping[Any, float | None]) -> int:
        """Set the campaign's combined fitness of members (higher is better; ``None`` clears).

        Returns:
            How many members were updated.

        Raises:
            NotFoundError: a genome is not a member; nothing changes.
            InvalidInputError: a score is not a finite number; nothing changes.

        Example:
            >>> store.set_member_scores("gru-hunt", {gru.hash: 1.0})
            1
        """
        if not isinstance(scores, Mapping):
            raise InvalidInputError(f"scores must be a mapping hash -> score, got {type(scores)}")
        values: dict[str, float | None] = {}
        for key, value in scores.items():
            digest = check.full_hash(key, "scores key")
            values[digest] = check.score(value, f"score of {digest[:12]}")

        def work(connection: Connection) -> int:
            campaign_id, genome_ids = self._member_ids(connection, campaign, values)
            statement = (M.update()
                         .where(M.c.campaign_id == campaign_id,
                                M.c.genome_id == sa.bindparam("member_genome"))
                         .values(score=sa.bindparam("member_score")))
            connection.execute(statement, [
                {"member_genome": genome_ids[h], "member_score": values[h]} for h in values])
            return len(values)

        return self._write(work) if values else 0

    def _member_ids(self, connection: Connection, campaign: CampaignKey,
                    hashes: Iterable[str]) -> tuple[int, dict[str, int]]:
        campaign_id = self._campaign_id(connection, campaign)
        ids = self._require_ids(connection, hashes)
        members: set[int] = set()
        for among in _among(connection, M.c.genome_id, sorted(ids.values())):
            members.update(connection.execute(sa.select(M.c.genome_id).where(
                M.c.campaign_id == campaign_id, among)).scalars())
        outsiders = [h for h, i in ids.items() if i not in members]
        if outsiders:
            raise NotFoundError(f"not members of campaign {campaign!r}: {_short(outsiders)}; "
                           "nothing was changed")
        return campaign_id, ids

    # -- lineage --------------------------------------------------------------------------

    def add_lineage(self, edges: Iterable[tuple[Any, ...]]) -> int:
        """Record parent → child edges.

        Args:
            edges: ``(parent, child, operator)`` or ``(parent, child, operator, campaign)``,
                parent and child as full hashes or Genomes, campaign a name, id or ``None``.
                An edge already stored is not duplicated.

        Returns:
            How many edges were created.

        Raises:
            NotFoundError: unknown genome or campaign; nothing is stored.
            InvalidInputError: a malformed edge (or parent == child); nothing is stored.

        Example:
            >>> store.add_lineage([(gru.hash, child.hash, "mutation", "gru-hunt")])
            1
        """
        wanted: dict[tuple[str, str, str, Any], None] = {}
        for index, edge in enumerate(edges):
            where = f"edges[{index}]"
            if not isinstance(edge, tuple | list) or len(edge) not in (3, 4):
                raise InvalidInputError(f"{where} must be (parent, child, operator[, campaign])")
            parent = check.full_hash(edge[0], f"{where} parent")
            child = check.full_hash(edge[1], f"{where} child")
            if parent == child:
                raise InvalidInputError(f"{where}: parent and child are the same genome "
                                   f"({parent[:12]}); a lineage edge needs two genomes")
            operator = check.text(edge[2], f"{where} operator")
            campaign = edge[3] if len(edge) == 4 else None
            wanted[(parent, child, operator, campaign)] = None

        def work(connection: Connection) -> int:
            ids = self._require_ids(connection, {h for e in wanted for h in e[:2]})
            campaign_ids = {c: self._campaign_id(connection, c)
                            for c in {e[3] for e in wanted} if c is not None}
            rows = {(ids[p], ids[c], op, campaign_ids.get(k)) for p, c, op, k in wanted}
            existing: set[tuple[int, int, str, int | None]] = set()
            for among in _among(connection, L.c.child_id, sorted({r[1] for r in rows})):
                existing.update(tuple(r) for r in connection.execute(
                    sa.select(L.c.parent_id, L.c.child_id, L.c.operator, L.c.campaign_id)
                    .where(among)))
            now = utcnow()
            new = [{"parent_id": p, "child_id": c, "operator": op, "campaign_id": k,
                    "created_at": now}
                   for p, c, op, k in sorted(rows - existing, key=lambda r: (r[1], r[0], r[2]))]
            # The constraint catches a concurrent writer's copy of an edge (NULL
            # campaigns aside, which the check above covers).
            return len(insert_rows(connection, L, new, returning=["id"], conflict=[
                "parent_id", "child_id", "operator", "campaign_id"]))

        return self._write(work) if wanted else 0

    def lineage(self, key: GenomeKey, *, depth: int | None = 1) -> LineageRecord:
        """A genome's parents and children (with operators), ``depth`` generations each way.

        Args:
            key: id, hash, hash prefix or Genome.
            depth: generations to follow (1: direct parents and children only);
                ``None`` follows the whole family (cycles are visited once).

        Returns:
            The edges, nearest first; every edge names its ``depth``.

        Example:
            >>> [e.operator for e in store.lineage(child.hash).parents]
            ['mutation']
        """
        if depth is not None:
            depth = check.integer(depth, "depth", minimum=1)

        def work(connection: Connection) -> LineageRecord:
            root = self._genome_row(connection, key, (G.c.id, G.c.hash))
            parents = self._walk(connection, root.id, depth, upward=True)
            children = self._walk(connection, root.id, depth, upward=False)
            hashes = self._hashes_of(connection, {i for e in parents + children for i in e[:2]})

            def edge(raw: tuple[int, int, str, str | None, int]) -> LineageEdge:
                parent, child, operator, campaign, level = raw
                return LineageEdge(parent_id=parent, parent_hash=hashes[parent], child_id=child,
                                   child_hash=hashes[child], operator=operator,
                                   campaign=campaign, depth=level)

            return LineageRecord(genome_id=root.id, genome_hash=root.hash,
                                 parents=tuple(edge(e) for e in parents),
                                 children=tuple(edge(e) for e in children))

        return self._read(work)

    def _walk(self, connection: Connection, start: int, depth: int | None,
              upward: bool) -> list[tuple[int, int, str, str | None, int]]:
        # One indexed query per generation; `seen` keeps cycles (a genome
        # rediscovered downstream) from looping.
        near = L.c.child_id if upward else L.c.parent_id
        seen, frontier = {start}, [start]
        edges: list[tuple[int, int, str, str | None, int]] = []
        level = 0
        while frontier and (depth is None or level < depth):
            level += 1
            found: list[int] = []
            for among in _among(connection, near, sorted(frontier)):
                query = (sa.select(L.c.parent_id, L.c.child_id, L.c.operator, C.c.name)
                         .select_from(L.outerjoin(C, C.c.id == L.c.campaign_id))
                         .where(among).order_by(L.c.id))
                for row in connection.execute(query):
                    edges.append((row.parent_id, row.child_id, row.operator, row.name, level))
                    other = row.parent_id if upward else row.child_id
                    if other not in seen:
                        seen.add(other)
                        found.append(other)
            frontier = found
        return edges

    def _hashes_of(self, connection: Connection, ids: Iterable[int]) -> dict[int, str]:
        hashes: dict[int, str] = {}
        for among in _among(connection, G.c.id, sorted(ids)):
            for row in connection.execute(sa.select(G.c.id, G.c.hash).where(among)):
                hashes[row.id] = row.hash
        return hashes

    # -- evaluations ----------------------------------------------------------------------

    def add_evaluations(self, evaluations: Iterable[Any], *,
                        campaign: CampaignKey | None = None) -> Added:
        """Queue evaluations (or record finished ones); existing keys are left alone.

        Args:
            evaluations: ``(genome hash, task, protocol_hash, seed)`` tuples
                (:class:`EvaluationKey`) or :class:`NewEvaluation` objects, which may
                carry a final status and result.
            campaign: the campaign asking for them (``claim(campaign=...)`` finds them).

        Returns:
            :class:`Added`: ids in input order, and which were created or existed.

        Raises:
            NotFoundError: unknown genome or campaign; nothing is stored.
            InvalidInputError: a malformed item; nothing is stored.

        Example:
            >>> store.add_evaluations([(gru.hash, "copy", "p1", 0)]).created
            (1,)
        """
        items = [self._new_evaluation(item, index) for index, item in enumerate(evaluations)]
        if not items:
            return Added(ids=(), created=(), existing=())
        now = utcnow()

        def work(connection: Connection) -> Added:
            campaign_id = None if campaign is None else self._campaign_id(connection, campaign)
            genome_ids = self._require_ids(connection, {item[0] for item in items})
            keys = [(genome_ids[h], task, protocol, seed) for h, task, protocol, seed, _ in items]
            found = self._evaluation_ids(connection, keys)
            rows: dict[tuple[int, str, str, int], dict[str, Any]] = {}
            for key, item in zip(keys, items, strict=True):
                if key in found or key in rows:
                    continue
                result: NewEvaluation = item[4]
                final = EvaluationStatus(result.status).final
                rows[key] = {
                    "genome_id": key[0], "task": key[1], "protocol_hash": key[2],
                    "seed": key[3], "campaign_id": campaign_id,
                    "status": EvaluationStatus(result.status).value, "score": result.score,
                    "metrics": result.metrics, "error": result.error, "attempts": 0,
                    "created_at": now, "finished_at": now if final else None,
                }
            created: dict[tuple[int, str, str, int], int] = {}
            if rows:
                # Input order, so ids (and claim order) follow the caller's priorities;
                # a deadlock with a concurrent overlapping batch is retried.
                for row in insert_rows(connection, E, list(rows.values()), conflict=_KEY,
                                       returning=["id", *_KEY]):
                    created[(row.genome_id, row.task, row.protocol_hash, row.seed)] = row.id
                # Keys another writer inserted since we looked.
                late = [key for key in rows if key not in created]
                found.update(self._evaluation_ids(connection, late))
            ids = tuple(created.get(key) or found[key] for key in keys)
            existing = tuple(dict.fromkeys(i for k, i in zip(keys, ids, strict=True)
                                           if k not in created))
            return Added(ids=ids, created=tuple(created[key] for key in sorted(
                created, key=lambda k: created[k])), existing=existing)

        return self._write(work)

    @staticmethod
    def _new_evaluation(item: Any, index: int) -> tuple[str, str, str, int, NewEvaluation]:
        where = f"evaluations[{index}]"
        if isinstance(item, tuple | list) and not isinstance(item, NewEvaluation):
            if len(item) != 4:
                raise InvalidInputError(f"{where} must be (genome hash, task, protocol_hash, seed)")
            item = NewEvaluation(*item)
        if not isinstance(item, NewEvaluation):
            raise InvalidInputError(f"{where} must be a tuple or a NewEvaluation, "
                               f"got {type(item).__name__}")
        digest = check.full_hash(item.genome, f"{where} genome")
        task = check.text(item.task, f"{where} task")
        protocol = check.text(item.protocol_hash, f"{where} protocol_hash")
        seed = check.integer(item.seed, f"{where} seed")
        status = check.choice(item.status, EvaluationStatus, f"{where} status")
        if status is EvaluationStatus.RUNNING:
            raise InvalidInputError(f"{where}: status 'running' is set by claim(), not on insert")
        result = Store._result(status, item.score, item.metrics, item.error, where)
        return digest, task, protocol, seed, NewEvaluation(item.genome, task, protocol, seed,
                                                           status, *result)

    @staticmethod
    def _result(status: EvaluationStatus, score: Any, metrics: Any, error: Any,
                where: str) -> tuple[float | None, dict[str, Any] | None, str | None]:
        score = check.score(score, f"{where} score")
        metrics = check.json_object(metrics, f"{where} metrics", optional=True)
        error = check.text(error, f"{where} error", optional=True)
        if status is EvaluationStatus.DONE and score is None:
            raise InvalidInputError(f"{where}: status 'done' needs a score")
        if not status.final and (score is not None or metrics is not None or error is not None):
            raise InvalidInputError(f"{where}: a {status.value} evaluation has no result yet")
        return score, metrics, error

    def _evaluation_ids(self, connection: Connection,
                        keys: Iterable[tuple[int, str, str, int]]
                        ) -> dict[tuple[int, str, str, int], int]:
        wanted = set(keys)
        found: dict[tuple[int, str, str, int], int] = {}
        # By genome (an index prefix), then exact keys in Python: portable, and a
        # genome has few evaluations.
        for among in _among(connection, E.c.genome_id, sorted({key[0] for key in wanted})):
            query = sa.select(E.c.id, E.c.genome_id, E.c.task, E.c.protocol_hash,
                              E.c.seed).where(among)
            for row in connection.execute(query):
                key = (row.genome_id, row.task, row.protocol_hash, row.seed)
                if key in wanted:
                    found[key] = row.id
        return found

    def claim(self, worker: str, limit: int = 1, *, campaign: CampaignKey | None = None,
              tasks: Iterable[str] | None = None) -> list[EvaluationRecord]:
        """Atomically take up to ``limit`` pending evaluations, oldest first.

        Claimed evaluations become ``running`` under ``worker`` with a fresh heartbeat;
        no two callers ever receive the same one (PostgreSQL: ``FOR UPDATE SKIP
        LOCKED``; SQLite: the database write lock).

        Args:
            worker: a name unique to the calling worker (e.g. ``host:pid``).
            limit: the most evaluations to take.
            campaign: only evaluations asked for by this campaign or of its members.
            tasks: only these tasks.

        Returns:
            The claimed evaluations; empty when nothing is pending.

        Example:
            >>> [e.task for e in store.claim("host-1:42")]
            ['copy']
        """
        worker = check.text(worker, "worker")
        limit = check.integer(limit, "limit", minimum=1)
        task_list = None if tasks is None else [check.text(t, "task") for t in
                                                ([tasks] if isinstance(tasks, str) else tasks)]

        def work(connection: Connection) -> list[EvaluationRecord]:
            query = sa.select(E.c.id).where(_is(E.c.status, EvaluationStatus.PENDING))
            if campaign is not None:
                campaign_id = self._campaign_id(connection, campaign)
                query = query.where(sa.or_(E.c.campaign_id == campaign_id,
                                           _member_of(campaign_id)))
            if task_list is not None:
                query = query.where(E.c.task.in_(task_list))
            query = query.order_by(E.c.id).limit(limit).with_for_update(skip_locked=True)
            ids = list(connection.execute(query).scalars())
            if not ids:
                return []
            now = utcnow()
            connection.execute(E.update().where(E.c.id.in_(ids)).values(
                status=EvaluationStatus.RUNNING.value, worker=worker, started_at=now,
                heartbeat_at=now, attempts=E.c.attempts + 1))
            return self._evaluation_records(connection, E.c.id.in_(ids))

        return self._write(work)

    def heartbeat(self, ids: Iterable[int], worker: str) -> list[int]:
        """Tell the store that ``worker`` is still running these evaluations.

        Returns:
            The ids the worker still holds; a missing one was requeued (missed
            heartbeats) or finished, and its result will be refused.

        Example:
            >>> store.heartbeat([1], "host-1:42")
            [1]
        """
        worker = check.text(worker, "worker")
        wanted = sorted({check.integer(i, "evaluation id") for i in ids})
        if not wanted:
            return []

        def work(connection: Connection) -> list[int]:
            now = utcnow()
            held: list[int] = []
            for among in _among(connection, E.c.id, wanted):
                held.extend(connection.execute(
                    E.update().where(among, _is(E.c.status, EvaluationStatus.RUNNING),
                                     E.c.worker == worker)
                    .values(heartbeat_at=now).returning(E.c.id)).scalars())
            return sorted(held)

        return self._write(work)

    def finish(self, evaluation_id: int, status: EvaluationStatus | str, *,
               score: float | None = None, metrics: Mapping[str, Any] | None = None,
               error: str | None = None, worker: str | None = None) -> EvaluationRecord:
        """Record an evaluation's result.

        Args:
            evaluation_id: the evaluation.
            status: ``done`` (needs ``score``), ``diverged``, ``timeout`` or ``failed``.
            score: higher is better; finite.
            metrics: any JSON object (losses, timings, parameter counts...).
            error: why it failed, diverged or timed out.
            worker: the worker reporting; when given, a result for an evaluation that
                another worker now holds is refused.

        Returns:
            The finished evaluation.

        Raises:
            AlreadyFinishedError: it already has a result (never overwritten).
            LeaseLostError: another worker holds it now.
            NotFoundError: no such evaluation.

        Example:
            >>> store.finish(1, "done", score=0.93, metrics={"loss": 0.1}).status
            <EvaluationStatus.DONE: 'done'>
        """
        evaluation_id = check.integer(evaluation_id, "evaluation id")
        status = check.choice(status, EvaluationStatus, "status")
        if not status.final:
            raise InvalidInputError(f"finish() needs a final status, not {status.value!r}")
        score, metrics, error = self._result(status, score, metrics, error, "finish()")
        worker = check.text(worker, "worker", optional=True)

        def work(connection: Connection) -> EvaluationRecord:
            open_to_us = _is(E.c.status, EvaluationStatus.PENDING)
            running = _is(E.c.status, EvaluationStatus.RUNNING)
            open_to_us = sa.or_(open_to_us, running if worker is None
                                else sa.and_(running, E.c.worker == worker))
            now = utcnow()
            values: dict[str, Any] = {"status": status.value, "score": score, "metrics": metrics,
                                      "error": error, "finished_at": now}
            if worker is not None:
                values["worker"] = worker
            done = connection.execute(E.update().where(E.c.id == evaluation_id, open_to_us)
                                      .values(**values)).rowcount
            if not done:
                self._refuse_finish(connection, evaluation_id, worker)
            return self._evaluation_records(connection, E.c.id == evaluation_id)[0]

        return self._write(work)

    @staticmethod
    def _refuse_finish(connection: Connection, evaluation_id: int, worker: str | None) -> None:
        row = connection.execute(sa.select(E.c.status, E.c.worker, E.c.attempts, E.c.score)
                                 .where(E.c.id == evaluation_id)).first()
        if row is None:
            raise NotFoundError(f"no evaluation with id {evaluation_id}")
        if EvaluationStatus(row.status).final:
            score = "" if row.score is None else f" with score {row.score:g}"
            raise AlreadyFinishedError(
                f"evaluation {evaluation_id} is already {row.status}{score} (worker "
                f"{row.worker!r}); a result is never overwritten, this one was not stored")
        raise LeaseLostError(
            f"evaluation {evaluation_id} is now running on worker {row.worker!r} (attempt "
            f"{row.attempts}), not {worker!r}: it was requeued after missed heartbeats; "
            "this result was not stored")

    def requeue_stale(self, older_than_seconds: float, *, max_attempts: int = 3) -> int:
        """Give back running evaluations whose worker stopped sending heartbeats.

        Each goes back to ``pending``, unless it has already been tried
        ``max_attempts`` times: then it is marked ``failed`` with an explanation.

        Args:
            older_than_seconds: a heartbeat older than this means the worker died.
                Keep it well above the heartbeat interval and any clock skew between
                machines (timestamps come from the workers' clocks).
            max_attempts: tries before giving up on an evaluation.

        Returns:
            How many evaluations were taken back (requeued plus marked failed).

        Example:
            >>> store.requeue_stale(older_than_seconds=600)
            0
        """
        if isinstance(older_than_seconds, bool) or not isinstance(older_than_seconds, int | float):
            raise InvalidInputError("older_than_seconds must be a number")
        if not older_than_seconds >= 0:
            raise InvalidInputError(f"older_than_seconds must be >= 0, got {older_than_seconds}")
        max_attempts = check.integer(max_attempts, "max_attempts", minimum=1)

        def work(connection: Connection) -> int:
            now = utcnow()
            stale = sa.and_(_is(E.c.status, EvaluationStatus.RUNNING),
                            E.c.heartbeat_at < now - timedelta(seconds=older_than_seconds))
            reason = (sa.literal(f"no heartbeat for over {older_than_seconds:g} s from worker ")
                      + sa.func.coalesce(E.c.worker, "?")
                      + sa.literal(" on attempt ") + sa.cast(E.c.attempts, sa.Text)
                      + sa.literal(f" of {max_attempts}; given up"))
            failed = connection.execute(E.update().where(stale, E.c.attempts >= max_attempts)
                                        .values(status=EvaluationStatus.FAILED.value,
                                                error=reason, finished_at=now)).rowcount
            requeued = connection.execute(E.update().where(stale, E.c.attempts < max_attempts)
                                          .values(status=EvaluationStatus.PENDING.value)).rowcount
            return failed + requeued

        return self._write(work)

    def evaluation(self, evaluation_id: int) -> EvaluationRecord:
        """One evaluation by id.

        Raises:
            NotFoundError: no such evaluation.
        """
        evaluation_id = check.integer(evaluation_id, "evaluation id")

        def work(connection: Connection) -> EvaluationRecord:
            found = self._evaluation_records(connection, E.c.id == evaluation_id)
            if not found:
                raise NotFoundError(f"no evaluation with id {evaluation_id}")
            return found[0]

        return self._read(work)

    def evaluations(self, key: GenomeKey) -> list[EvaluationRecord]:
        """Every evaluation of one genome (id, hash, hash prefix or Genome), oldest first.

        Example:
            >>> [(e.task, e.status) for e in store.evaluations(gru.hash)]
            [('copy', <EvaluationStatus.DONE: 'done'>)]
        """
        def work(connection: Connection) -> list[EvaluationRecord]:
            row = self._genome_row(connection, key, (G.c.id,))
            return self._evaluation_records(connection, E.c.genome_id == row.id)

        return self._read(work)

    def evaluation_counts(self, *, campaign: CampaignKey | None = None,
                          task: str | None = None) -> dict[EvaluationStatus, int]:
        """How many evaluations are in each status (every status present, zeros included).

        Example:
            >>> store.evaluation_counts()[EvaluationStatus.DONE]
            1
        """
        task = check.text(task, "task", optional=True)

        def work(connection: Connection) -> dict[EvaluationStatus, int]:
            query = sa.select(E.c.status, sa.func.count()).group_by(E.c.status)
            if campaign is not None:
                query = query.where(E.c.campaign_id == self._campaign_id(connection, campaign))
            if task is not None:
                query = query.where(E.c.task == task)
            counts = dict.fromkeys(EvaluationStatus, 0)
            for status, count in connection.execute(query):
                counts[EvaluationStatus(status)] = count
            return counts

        return self._read(work)

    def _evaluation_records(self, connection: Connection,
                            where: sa.ColumnElement[bool]) -> list[EvaluationRecord]:
        query = (sa.select(*_EVALUATION_COLUMNS).join(G, G.c.id == E.c.genome_id)
                 .where(where).order_by(E.c.id))
        return [EvaluationRecord(
            id=row.id, genome_id=row.genome_id, genome_hash=row.hash, task=row.task,
            protocol_hash=row.protocol_hash, seed=row.seed, status=EvaluationStatus(row.status),
            score=row.score, metrics=row.metrics, error=row.error, worker=row.worker,
            attempts=row.attempts, campaign_id=row.campaign_id, created_at=row.created_at,
            started_at=row.started_at, finished_at=row.finished_at,
            heartbeat_at=row.heartbeat_at) for row in connection.execute(query)]

    # -- ranking --------------------------------------------------------------------------

    def best(self, campaign: CampaignKey | None = None, task: str | None = None,
             k: int = 10) -> list[Ranked]:
        """The ``k`` best genomes, best first (higher score is better).

        - ``task`` given: ``done`` evaluations of that task, each genome once with its
          best score (restricted to the campaign's members when ``campaign`` is given too).
        - ``campaign`` only: members by their campaign score (see
          :meth:`set_member_scores`); if no member has one yet, members by their best
          ``done`` evaluation of any task.
        - neither: every ``done`` evaluation, each genome once with its best score.

        Ties go to the earlier row.

        Example:
            >>> [r.hash[:8] for r in store.best(task="copy", k=3)]
            ['3f2a9c10']
        """
        k = check.integer(k, "k", minimum=1)
        task = check.text(task, "task", optional=True)

        def work(connection: Connection) -> list[Ranked]:
            campaign_id = None if campaign is None else self._campaign_id(connection, campaign)
            picked: list[tuple[int, float, Row | None]] = []
            if campaign_id is not None and task is None:
                picked = self._best_members(connection, campaign_id, k)
            if not picked:
                picked = self._best_evaluations(connection, campaign_id, task, k)
            genomes = {}
            for among in _among(connection, G.c.id, sorted({g for g, _, _ in picked})):
                for row in connection.execute(
                        sa.select(G.c.id, G.c.hash, G.c.text, G.c.size, G.c.data).where(among)):
                    genomes[row.id] = row
            return [Ranked(
                rank=rank, score=score, genome_id=genome_id, hash=genomes[genome_id].hash,
                text=genomes[genome_id].text, size=genomes[genome_id].size,
                task=None if source is None else source.task,
                evaluation_id=None if source is None else source.id,
                protocol_hash=None if source is None else source.protocol_hash,
                seed=None if source is None else source.seed, data=genomes[genome_id].data)
                for rank, (genome_id, score, source) in enumerate(picked, start=1)]

        return self._read(work)

    @staticmethod
    def _best_members(connection: Connection, campaign_id: int,
                      k: int) -> list[tuple[int, float, Row | None]]:
        rows = connection.execute(
            sa.select(M.c.genome_id, M.c.score)
            .where(M.c.campaign_id == campaign_id, M.c.score.is_not(None))
            .order_by(M.c.score.desc(), M.c.id).limit(k))
        return [(row.genome_id, row.score, None) for row in rows]

    @staticmethod
    def _best_evaluations(connection: Connection, campaign_id: int | None, task: str | None,
                          k: int) -> list[tuple[int, float, Row | None]]:
        query = (sa.select(E.c.id, E.c.genome_id, E.c.score, E.c.task, E.c.protocol_hash,
                           E.c.seed)
                 .where(_is(E.c.status, EvaluationStatus.DONE), E.c.score.is_not(None)))
        if task is not None:
            query = query.where(E.c.task == task)
        if campaign_id is not None:
            # The query's shape steers SQLite's plan. A large campaign: EXISTS,
            # so the score index is walked from the top and membership probed
            # per row (listing every member and sorting all their evaluations
            # would take ~100 ms at 50,000 members). A small one: IN, so its few
            # members' evaluations are fetched and sorted (walking the index
            # could pass most of the table before meeting k members).
            members = (sa.select(M.c.genome_id).where(M.c.campaign_id == campaign_id)
                       .limit(_SMALL_CAMPAIGN).subquery())
            count = connection.execute(sa.select(sa.func.count()).select_from(members)).scalar()
            query = query.where(_member_of(campaign_id) if count >= _SMALL_CAMPAIGN else
                                E.c.genome_id.in_(sa.select(M.c.genome_id)
                                                  .where(M.c.campaign_id == campaign_id)))
        query = query.order_by(E.c.score.desc(), E.c.id)
        # Walk the score index from the top and keep each genome's first (best)
        # row, fetching deeper only when genomes with many evaluations crowd the
        # top: far cheaper than grouping every evaluation per genome.
        fetch = max(4 * k, 40)
        while True:
            rows = connection.execute(query.limit(fetch)).all()
            best: dict[int, Row] = {}
            for row in rows:
                best.setdefault(row.genome_id, row)
                if len(best) == k:
                    break
            if len(best) == k or len(rows) < fetch:
                return [(row.genome_id, row.score, row) for row in best.values()]
            fetch *= 4
