"""Resuming after a kill between two writes, and the coordinator's heartbeat (fake training)."""

import time
from datetime import datetime

import pytest

from evolve.campaign import Campaign, load_config
from evolve.campaign.liveness import HEARTBEAT_AT, HEARTBEAT_EVERY
from evolve.store import Store
from tests.evolve.campaign.conftest import snapshot


def config(budget: int):
    return load_config("smoke", strategy="regularized", initial=["rnn", "gru", "mingru"],
                       budget=budget, batch=3,
                       search={"population": 3, "tournament": 2, "top": 3})


def test_resume_repairs_alive_flags_a_kill_left_half_written(tmp_path, fake_training):
    """Scores and alive flags are two writes; killed between them, the flags are stale."""
    fresh = Store(f"sqlite:///{tmp_path / 'fresh.db'}")
    Campaign.create(fresh, "c", config(9), seed=3).run()

    store = Store(f"sqlite:///{tmp_path / 'killed.db'}")
    Campaign.create(store, "c", config(6), seed=3).run()
    members = store.members("c")
    assert {m.generation for m in members} == {0, 1}
    assert sum(m.alive for m in members) == 3  # population 3: generation 1 only
    # As if killed after generation 1's scores were written, before its selection:
    # every member is still alive.
    store.set_alive("c", [m.genome_hash for m in members], True)

    Campaign.open(store, "c", budget=9).run()
    assert snapshot(store, "c") == snapshot(fresh, "c")


@pytest.mark.parametrize("killed", ["before-members", "after-members"])
def test_duplicate_and_rejection_counts_survive_a_kill_around_the_membership_write(
        tmp_path, fake_training, killed):
    fresh = Store(f"sqlite:///{tmp_path / 'fresh.db'}")
    expected = Campaign.create(fresh, "c", config(9), seed=5).run()
    assert fresh.campaign("c").stats["generations"]["1"]  # generation 1 counts something

    store = Store(f"sqlite:///{tmp_path / 'killed.db'}")
    campaign = Campaign.create(store, "c", config(9), seed=5)
    real_add_members = store.add_members
    at_kill = {}

    class KilledError(Exception):
        pass

    def add_members(name, rows):
        rows = list(rows)
        if rows[0][1] == 1:  # generation 1
            if killed == "after-members":
                real_add_members(name, rows)
            at_kill["stats"] = store.campaign(name).stats
            raise KilledError
        return real_add_members(name, rows)

    store.add_members = add_members
    with pytest.raises(KilledError):
        campaign.run()
    store.add_members = real_add_members
    # kill -9 runs no clean-up: the stats are what they were at the kill.
    store.update_campaign_stats("c", at_kill["stats"])

    resumed = Campaign.open(store, "c").run()
    assert (resumed.duplicates, resumed.rejections) == (expected.duplicates,
                                                        expected.rejections)
    assert snapshot(store, "c") == snapshot(fresh, "c")


def test_the_coordinator_beats_while_it_trains_inline(store, fake_training):
    campaign = Campaign.create(store, "beat", config(3))
    campaign.heartbeat_every = 0.1
    beats = []

    def slow(genome, protocol):
        if not beats:  # the first evaluation: look, train for a while, look again
            beats.append(store.campaign("beat").stats[HEARTBEAT_AT])
            time.sleep(1.0)
            beats.append(store.campaign("beat").stats[HEARTBEAT_AT])

    fake_training.hook = slow
    campaign.run()
    first, second = (datetime.fromisoformat(b) for b in beats)
    assert (second - first).total_seconds() >= 0.5
    stats = store.campaign("beat").stats
    assert stats[HEARTBEAT_EVERY] == 0.1
