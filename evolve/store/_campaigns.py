"""Campaigns and their members."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from evolve.store import _validate as check
from evolve.store._base import C, CampaignKey, G, M, StoreBase, in_batches, short_list
from evolve.store._bulk import insert_rows
from evolve.store._errors import InvalidInputError, NotFoundError
from evolve.store._models import utcnow
from evolve.store.records import CampaignRecord, CampaignStatus, MemberRecord, Origin

__all__ = ["CampaignMixin"]


class CampaignMixin(StoreBase):
    """Campaigns: create, look up, set status; membership, alive flags, member scores."""

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

        Args:
            name: the campaign's name, id, or a :class:`CampaignRecord`.

        Returns:
            The campaign.

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

        Returns:
            The campaigns.

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

        Args:
            name: the campaign (name or id).
            status: the new status.

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

    def update_campaign_stats(self, name: CampaignKey, stats: Mapping[str, Any]) -> None:
        """Replace a campaign's statistics (counters it keeps across restarts).

        Args:
            name: the campaign (name or id).
            stats: any JSON object.

        Example:
            >>> store.update_campaign_stats("gru-hunt", {"duplicate:hash": 3})
        """
        stats = check.json_object(dict(stats), "campaign stats")

        def work(connection: Connection) -> None:
            campaign_id = self._campaign_id(connection, name)
            connection.execute(C.update().where(C.c.id == campaign_id).values(stats=stats))

        self._write(work)

    def update_campaign_config(self, name: CampaignKey, config: Mapping[str, Any]) -> None:
        """Replace a campaign's configuration (a resumed campaign's new budget, say).

        Args:
            name: the campaign (name or id).
            config: any JSON object.
        """
        config = check.json_object(dict(config), "campaign config")

        def work(connection: Connection) -> None:
            campaign_id = self._campaign_id(connection, name)
            connection.execute(C.update().where(C.c.id == campaign_id).values(
                config=config, updated_at=utcnow()))

        self._write(work)

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
        """A campaign's members in birth order.

        Args:
            campaign: the campaign (name or id).
            alive: ``True`` or ``False`` keeps only living or dead members; ``None`` all.

        Returns:
            The memberships, by generation and birth order.

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

        Args:
            campaign: the campaign (name or id).
            genomes: full hashes or Genomes of members.
            alive: the new flag.

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
            for among in in_batches(connection, M.c.genome_id, sorted(genome_ids.values())):
                updated += connection.execute(M.update().where(
                    M.c.campaign_id == campaign_id, among,
                ).values(alive=alive)).rowcount
            return updated

        return self._write(work) if hashes else 0

    def kill_members(self, campaign: CampaignKey, genomes: Iterable[Any]) -> int:
        """Mark members of a campaign dead (they leave the population, not the database).

        Args:
            campaign: the campaign (name or id).
            genomes: full hashes or Genomes of members.

        Returns:
            How many members were updated.

        Raises:
            NotFoundError: a genome is not a member; nothing changes.

        Example:
            >>> store.kill_members("gru-hunt", [gru.hash])
            1
        """
        return self.set_alive(campaign, genomes, False)

    def set_member_scores(self, campaign: CampaignKey, scores: Mapping[Any, float | None]) -> int:
        """Set the campaign's combined fitness of members (higher is better; ``None`` clears).

        :meth:`best` with only ``campaign`` ranks members by this score.

        Args:
            campaign: the campaign (name or id).
            scores: full hash (or Genome) -> score.

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
        for among in in_batches(connection, M.c.genome_id, sorted(ids.values())):
            members.update(connection.execute(sa.select(M.c.genome_id).where(
                M.c.campaign_id == campaign_id, among)).scalars())
        outsiders = [h for h, i in ids.items() if i not in members]
        if outsiders:
            raise NotFoundError(f"not members of campaign {campaign!r}: {short_list(outsiders)}; "
                                "nothing was changed")
        return campaign_id, ids

