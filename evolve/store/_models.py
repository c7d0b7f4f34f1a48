"""SQLAlchemy 2 models: the schema that the migrations build.

The store talks to these tables through Core statements and returns plain
records (:mod:`evolve.store.records`), so no ORM object ever leaves the store.
A test compares this metadata with a migrated database, so the two cannot drift.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from evolve.store.records import CampaignStatus, EvaluationStatus, Origin

__all__ = [
    "Base",
    "Campaign",
    "Evaluation",
    "Genome",
    "Lineage",
    "Member",
    "UTCDateTime",
    "utcnow",
]

# Explicit constraint names: SQLite batch migrations can only drop or alter
# constraints that have a name.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timestamp that is always stored and returned as timezone-aware UTC.

    SQLite has no time zones; values are stored there as naive UTC text so that
    comparisons in SQL stay correct, and made aware again when read.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"timestamps must be timezone-aware, got {value!r}")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Hex hashes compare byte-wise under "C", so a prefix becomes an index range
# scan whatever the database's default collation is.
HashText = sa.Text().with_variant(postgresql.TEXT(collation="C"), "postgresql")
# One JSON type for both backends; plain JSON (not JSONB) on PostgreSQL keeps
# the stored text, key order included, exactly as written.
JsonDoc = sa.JSON(none_as_null=True)


def _one_of(column: str, values: type[Any]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


def _status_is(value: EvaluationStatus) -> sa.TextClause:
    # A literal, not a bound parameter: both planners can only use a partial
    # index when the query's predicate visibly matches the index's.
    return sa.text(f"status = '{value.value}'")


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        sa.CheckConstraint(_one_of("status", CampaignStatus), name="status"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text, unique=True)
    config: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    seed: Mapped[int] = mapped_column(sa.BigInteger)
    status: Mapped[str] = mapped_column(sa.Text, default=CampaignStatus.CREATED.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    stats: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, nullable=True)


class Genome(Base):
    __tablename__ = "genomes"
    __table_args__ = (
        sa.CheckConstraint("length(hash) = 64", name="hash_length"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    hash: Mapped[str] = mapped_column(HashText, unique=True)
    canonical: Mapped[str] = mapped_column(sa.Text)
    text: Mapped[str] = mapped_column(sa.Text)
    data: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    size: Mapped[int] = mapped_column(sa.Integer)
    height: Mapped[int] = mapped_column(sa.Integer)
    n_slots: Mapped[int] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Member(Base):
    __tablename__ = "campaign_members"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "genome_id"),
        sa.CheckConstraint(_one_of("origin", Origin), name="origin"),
        sa.Index("ix_campaign_members_genome_id", "genome_id"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    genome_id: Mapped[int] = mapped_column(sa.ForeignKey("genomes.id"))
    generation: Mapped[int] = mapped_column(sa.Integer)
    birth_order: Mapped[int] = mapped_column(sa.Integer)
    origin: Mapped[str] = mapped_column(sa.Text)
    alive: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    score: Mapped[float | None] = mapped_column(sa.Double)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Lineage(Base):
    __tablename__ = "lineage"
    __table_args__ = (
        sa.UniqueConstraint("parent_id", "child_id", "operator", "campaign_id"),
        sa.CheckConstraint("parent_id <> child_id", name="no_self_loop"),
        sa.Index("ix_lineage_child_id", "child_id"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    parent_id: Mapped[int] = mapped_column(sa.ForeignKey("genomes.id"))
    child_id: Mapped[int] = mapped_column(sa.ForeignKey("genomes.id"))
    operator: Mapped[str] = mapped_column(sa.Text)
    campaign_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Evaluation(Base):
    __tablename__ = "evaluations"
    __table_args__ = (
        # The same genome is never evaluated twice under one protocol and seed.
        sa.UniqueConstraint("genome_id", "task", "protocol_hash", "seed"),
        sa.CheckConstraint(_one_of("status", EvaluationStatus), name="status"),
        sa.CheckConstraint("status <> 'done' OR score IS NOT NULL", name="done_has_score"),
        sa.Index("ix_evaluations_campaign_id", "campaign_id", "status"),
        # claim(): the queue is the (small) set of pending rows, oldest first.
        sa.Index("ix_evaluations_pending", "id",
                 sqlite_where=_status_is(EvaluationStatus.PENDING),
                 postgresql_where=_status_is(EvaluationStatus.PENDING)),
        # requeue_stale(): running rows by heartbeat.
        sa.Index("ix_evaluations_running_heartbeat", "heartbeat_at",
                 sqlite_where=_status_is(EvaluationStatus.RUNNING),
                 postgresql_where=_status_is(EvaluationStatus.RUNNING)),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    genome_id: Mapped[int] = mapped_column(sa.ForeignKey("genomes.id"))
    campaign_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="SET NULL"))
    task: Mapped[str] = mapped_column(sa.Text)
    protocol_hash: Mapped[str] = mapped_column(sa.Text)
    seed: Mapped[int] = mapped_column(sa.BigInteger)
    status: Mapped[str] = mapped_column(sa.Text, default=EvaluationStatus.PENDING.value)
    score: Mapped[float | None] = mapped_column(sa.Double)
    metrics: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    error: Mapped[str | None] = mapped_column(sa.Text)
    worker: Mapped[str | None] = mapped_column(sa.Text)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# Indexes with a descending column are declared on the mapped columns, which
# lets Alembic compare them with the database (it cannot read text()).

# best(campaign=...): the top member scores of one campaign.
sa.Index("ix_campaign_members_campaign_score",
         Member.campaign_id, Member.score.desc(), Member.id)
# best(): finished evaluations by score, overall and per task.
sa.Index("ix_evaluations_done_score", Evaluation.score.desc(), Evaluation.id,
         sqlite_where=_status_is(EvaluationStatus.DONE),
         postgresql_where=_status_is(EvaluationStatus.DONE))
sa.Index("ix_evaluations_done_task_score", Evaluation.task, Evaluation.score.desc(), Evaluation.id,
         sqlite_where=_status_is(EvaluationStatus.DONE),
         postgresql_where=_status_is(EvaluationStatus.DONE))
