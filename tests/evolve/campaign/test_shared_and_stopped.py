"""Evaluations shared between campaigns, and runs that are stopped (fake training inline)."""

import time

import pytest

from evolve.campaign import Campaign, WorkerOptions, load_config, worker_loop
from evolve.campaign.liveness import heartbeat_stats
from evolve.evaluation import EvaluationResult, Status
from evolve.store import EvaluationStatus, NewEvaluation
from genome import seeds
from tests.evolve.campaign.conftest import run_in_thread

GRU = seeds.get("gru")


def config():
    # rnn and mingru only: the reference (gru) is not a member, so only the campaign that
    # queued its evaluations first can claim them.
    return load_config("smoke", initial=["rnn", "mingru"], budget=4, batch=2, stale_after=0.5,
                       search={"population": 4, "tournament": 2, "top": 4})


def reference_left_by_a(store, claimed: bool) -> int:
    """Campaign A queued the reference's evaluation, then was stopped (Ctrl-C, kill)."""
    a = Campaign.create(store, "A", config(), seed=7)
    store.add_genomes([GRU])
    protocol = a.protocols["memorization"]
    [evaluation_id] = store.add_evaluations(
        [NewEvaluation(GRU.hash, "memorization", protocol.hash, a.training_seeds[0])],
        campaign="A").ids
    if claimed:
        [record] = store.claim("worker:gone:1:abc", campaign="A")
        assert record.id == evaluation_id
    store.set_campaign_status("A", "stopped")
    return evaluation_id


@pytest.mark.parametrize("claimed", [False, True], ids=["left-pending", "left-running"])
def test_a_new_campaign_runs_what_a_stopped_one_left_of_their_shared_reference(
        store, fake_training, claimed):
    evaluation_id = reference_left_by_a(store, claimed)
    b = Campaign.create(store, "B", config(), seed=7)
    summary = run_in_thread(lambda: b.run(poll=0.05), timeout=60)
    assert summary.status == "finished" and summary.candidates == 4
    record = store.evaluation(evaluation_id)
    assert record.status is EvaluationStatus.DONE
    assert record.campaign_id == store.campaign("A").id  # still A's: shared, not copied
    assert record.worker.startswith("coordinator:")
    assert record.attempts == (2 if claimed else 1)
    assert store.evaluation_counts()[EvaluationStatus.PENDING] == 0


def test_waiting_on_another_running_campaign_sleeps_instead_of_spinning(store, fake_training):
    evaluation_id = reference_left_by_a(store, claimed=False)
    store.set_campaign_status("A", "running")  # alive: its own workers will run it
    store.update_campaign_stats("A", heartbeat_stats(10.0))
    b = Campaign.create(store, "B", config(), seed=7)
    claims = []
    real_claim = store.claim

    def counting_claim(*args, **kwargs):
        claims.append(time.monotonic())
        return real_claim(*args, **kwargs)

    store.claim = counting_claim
    import threading

    outcome = {}
    thread = threading.Thread(target=lambda: outcome.setdefault("summary", b.run(poll=0.1)),
                              daemon=True)
    thread.start()
    time.sleep(1.5)
    waited = len(claims)
    # A's worker delivers the reference's result; B goes on by itself.
    store.claim = real_claim
    [record] = real_claim("worker:of-A", campaign="A")
    assert record.id == evaluation_id
    result = EvaluationResult(status=Status.DONE, task="memorization", metric="accuracy",
                              higher_is_better=True, value=0.5)
    store.finish(evaluation_id, "done", score=0.5, metrics=result.to_dict(),
                 worker="worker:of-A")
    thread.join(60)
    assert not thread.is_alive() and outcome["summary"].status == "finished"
    # One look per poll (0.1 s), not a busy loop (it made thousands of claims a second).
    assert 3 <= waited <= 25
    assert GRU.hash not in {h for h, _ in fake_training.calls}  # B never trained it itself


def test_ctrl_c_in_an_inline_evaluation_gives_it_back_untried(store, fake_training):
    campaign = Campaign.create(store, "c", config(), seed=1)
    interrupted = []

    def interrupt(genome, protocol):
        if len(fake_training.calls) == 3:
            interrupted.append(genome.hash)
            raise KeyboardInterrupt

    fake_training.hook = interrupt
    with pytest.raises(KeyboardInterrupt):
        campaign.run()
    assert store.campaign("c").status.value == "stopped"
    [record] = store.evaluations(interrupted[0])
    assert (record.status, record.attempts) == (EvaluationStatus.PENDING, 0)
    assert store.evaluation_counts()[EvaluationStatus.RUNNING] == 0

    fake_training.hook = None
    assert Campaign.open(store, "c").run().status == "finished"
    [record] = store.evaluations(interrupted[0])
    assert (record.status, record.attempts) == (EvaluationStatus.DONE, 1)


def test_a_worker_claims_nothing_once_its_campaign_is_stopped(store, fake_training):
    """The status is read before every claim, not only when the worker is idle."""
    Campaign.create(store, "c", config())
    store.add_genomes([GRU])
    protocol = config().protocols()["memorization"]
    store.add_evaluations([NewEvaluation(GRU.hash, "memorization", protocol.hash, s)
                           for s in range(3)], campaign="c")
    store.set_campaign_status("c", "stopped")
    assert worker_loop(store, "c", WorkerOptions(idle_sleep=0.01)) == 0
    assert store.evaluation_counts()[EvaluationStatus.PENDING] == 3
    assert fake_training.calls == []
