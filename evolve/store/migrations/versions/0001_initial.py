"""Initial schema: campaigns, genomes, members, lineage, evaluations.

Revision ID: 0001
Revises:
Created: 2024-06-01

Written out in full rather than importing the models, so that this revision
keeps building the same schema whatever the models become later. Names are
wrapped in ``op.f()``: they are final, not to be run through the naming
convention again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_HASH = sa.Text().with_variant(postgresql.TEXT(collation="C"), "postgresql")
_JSON = sa.JSON(none_as_null=True)


def _when(timestamp: str, nullable: bool = False) -> sa.Column:
    return sa.Column(timestamp, sa.DateTime(timezone=True), nullable=nullable)


def _partial(status: str) -> dict[str, sa.TextClause]:
    return {"sqlite_where": sa.text(f"status = '{status}'"),
            "postgresql_where": sa.text(f"status = '{status}'")}


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("config", _JSON, nullable=False),
        sa.Column("seed", sa.BigInteger, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        _when("created_at"),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("name", name=op.f("uq_campaigns_name")),
        sa.CheckConstraint(
            "status IN ('created', 'running', 'stopped', 'finished', 'failed')",
            name=op.f("ck_campaigns_status")),
    )
    op.create_table(
        "genomes",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("hash", _HASH, nullable=False),
        sa.Column("canonical", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("data", _JSON, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("n_slots", sa.Integer, nullable=False),
        _when("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_genomes")),
        sa.UniqueConstraint("hash", name=op.f("uq_genomes_hash")),
        sa.CheckConstraint("length(hash) = 64", name=op.f("ck_genomes_hash_length")),
    )
    op.create_table(
        "campaign_members",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("campaign_id", sa.Integer, nullable=False),
        sa.Column("genome_id", sa.Integer, nullable=False),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("birth_order", sa.Integer, nullable=False),
        sa.Column("origin", sa.Text, nullable=False),
        sa.Column("alive", sa.Boolean, nullable=False),
        sa.Column("score", sa.Double, nullable=True),
        _when("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_members")),
        sa.UniqueConstraint("campaign_id", "genome_id",
                            name=op.f("uq_campaign_members_campaign_id_genome_id")),
        sa.CheckConstraint("origin IN ('seed', 'mutation', 'crossover', 'random')",
                           name=op.f("ck_campaign_members_origin")),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], ondelete="CASCADE",
                                name=op.f("fk_campaign_members_campaign_id_campaigns")),
        sa.ForeignKeyConstraint(["genome_id"], ["genomes.id"],
                                name=op.f("fk_campaign_members_genome_id_genomes")),
    )
    op.create_index(op.f("ix_campaign_members_genome_id"), "campaign_members", ["genome_id"])
    op.create_index(op.f("ix_campaign_members_campaign_score"), "campaign_members",
                    ["campaign_id", sa.desc(sa.column("score")), "id"])
    op.create_table(
        "lineage",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("parent_id", sa.Integer, nullable=False),
        sa.Column("child_id", sa.Integer, nullable=False),
        sa.Column("operator", sa.Text, nullable=False),
        sa.Column("campaign_id", sa.Integer, nullable=True),
        _when("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lineage")),
        sa.UniqueConstraint("parent_id", "child_id", "operator", "campaign_id",
                            name=op.f("uq_lineage_parent_id_child_id_operator_campaign_id")),
        sa.CheckConstraint("parent_id <> child_id", name=op.f("ck_lineage_no_self_loop")),
        sa.ForeignKeyConstraint(["parent_id"], ["genomes.id"],
                                name=op.f("fk_lineage_parent_id_genomes")),
        sa.ForeignKeyConstraint(["child_id"], ["genomes.id"],
                                name=op.f("fk_lineage_child_id_genomes")),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], ondelete="CASCADE",
                                name=op.f("fk_lineage_campaign_id_campaigns")),
    )
    op.create_index(op.f("ix_lineage_child_id"), "lineage", ["child_id"])
    op.create_table(
        "evaluations",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("genome_id", sa.Integer, nullable=False),
        sa.Column("campaign_id", sa.Integer, nullable=True),
        sa.Column("task", sa.Text, nullable=False),
        sa.Column("protocol_hash", sa.Text, nullable=False),
        sa.Column("seed", sa.BigInteger, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("score", sa.Double, nullable=True),
        sa.Column("metrics", _JSON, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("worker", sa.Text, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        _when("created_at"),
        _when("started_at", nullable=True),
        _when("finished_at", nullable=True),
        _when("heartbeat_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluations")),
        sa.UniqueConstraint("genome_id", "task", "protocol_hash", "seed",
                            name=op.f("uq_evaluations_genome_id_task_protocol_hash_seed")),
        sa.CheckConstraint(
            "status IN ('pending', 'running', 'done', 'diverged', 'timeout', 'failed')",
            name=op.f("ck_evaluations_status")),
        sa.CheckConstraint("status <> 'done' OR score IS NOT NULL",
                           name=op.f("ck_evaluations_done_has_score")),
        sa.ForeignKeyConstraint(["genome_id"], ["genomes.id"],
                                name=op.f("fk_evaluations_genome_id_genomes")),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], ondelete="SET NULL",
                                name=op.f("fk_evaluations_campaign_id_campaigns")),
    )
    op.create_index(op.f("ix_evaluations_campaign_id"), "evaluations", ["campaign_id", "status"])
    op.create_index(op.f("ix_evaluations_pending"), "evaluations", ["id"], **_partial("pending"))
    op.create_index(op.f("ix_evaluations_running_heartbeat"), "evaluations", ["heartbeat_at"],
                    **_partial("running"))
    op.create_index(op.f("ix_evaluations_done_score"), "evaluations",
                    [sa.desc(sa.column("score")), "id"], **_partial("done"))
    op.create_index(op.f("ix_evaluations_done_task_score"), "evaluations",
                    ["task", sa.desc(sa.column("score")), "id"], **_partial("done"))


def downgrade() -> None:
    # Tables only: the version table belongs to Alembic, and anything else in
    # the database belongs to someone else.
    for table in ("evaluations", "lineage", "campaign_members", "genomes", "campaigns"):
        op.drop_table(table)
