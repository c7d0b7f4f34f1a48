"""Genomes and their lineage."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

import genome as genome_pkg
from evolve.store import _validate as check
from evolve.store._base import C, G, GenomeKey, L, StoreBase, in_batches
from evolve.store._bulk import insert_rows
from evolve.store._errors import InvalidInputError
from evolve.store._models import utcnow
from evolve.store.records import GenomeRecord, LineageEdge
from evolve.store.records import Lineage as LineageRecord

__all__ = ["GenomeMixin"]

_GENOME_COLUMNS = (G.c.id, G.c.hash, G.c.canonical, G.c.text, G.c.data, G.c.size, G.c.height,
                   G.c.n_slots, G.c.created_at)



class GenomeMixin(StoreBase):
    """Genomes by hash (their identity) and the parent → child edges between them."""

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

        Args:
            key: an ``int`` is an id; a string is always a hash or hash prefix (so
                ``"1234"`` is a prefix, not id 1234).

        Returns:
            The stored genome; ``.genome`` rebuilds the :class:`genome.Genome`.

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
            for among in in_batches(connection, L.c.child_id, sorted({r[1] for r in rows})):
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
            for among in in_batches(connection, near, sorted(frontier)):
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

