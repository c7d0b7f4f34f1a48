"""The Store API, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import random
import time
from datetime import UTC

import pytest

import genome
from evolve.store import (
    AlreadyFinishedError,
    AmbiguousKeyError,
    CampaignStatus,
    EvaluationStatus,
    InvalidInputError,
    LeaseLostError,
    NewEvaluation,
    NotFoundError,
    Origin,
    StoreError,
)
from tests.evolve.store.helpers import big_genome, colliding_prefix_pair, variant

# -- genomes ----------------------------------------------------------------------------


def test_add_genomes_is_idempotent_and_returns_ids_in_input_order(store):
    a, b, c = variant(1), variant(2), variant(3)
    first = store.add_genomes([a, b])
    assert list(first) == [a.hash, b.hash]
    second = store.add_genomes([c, a, a, b])
    assert list(second) == [c.hash, a.hash, b.hash]
    assert second[a.hash] == first[a.hash] and second[b.hash] == first[b.hash]
    assert len(set(second.values())) == 3
    assert store.add_genomes([]) == {}


def test_genome_record_keeps_display_form_and_identity(store):
    given = genome.parse("h' = tanh(b + U h + W x)")
    same = genome.parse("h' = tanh(W x + U h + b)")
    assert given.hash == same.hash and str(given) != str(same)
    ids = store.add_genomes([given])
    assert store.add_genomes([same]) == {same.hash: ids[given.hash]}  # not duplicated
    record = store.genome(ids[given.hash])
    assert record.text == str(given)  # the first form given is kept for display
    assert record.canonical == str(given.canonical())
    assert record.data == genome.to_json(given)
    assert record.genome == given
    assert (record.size, record.height, record.n_slots) == (given.size, given.height, 1)
    assert record.created_at.tzinfo is UTC


def test_genome_accepts_notation_text_and_refuses_bad_input_without_storing(store):
    ids = store.add_genomes(["h' = tanh(W x + U h + b)"])
    assert store.genome(next(iter(ids))).text == "h' = tanh(W x + U h + b)"
    with pytest.raises(InvalidInputError, match=r"genomes\[1\] is not a valid genome"):
        store.add_genomes([variant(7), "h' = tanh(W x +"])
    with pytest.raises(InvalidInputError, match=r"genomes\[0\] must be a Genome"):
        store.add_genomes([42])
    with pytest.raises(NotFoundError):
        store.genome(variant(7).hash)  # the valid item of the refused batch is not stored


def test_genome_lookup_by_id_hash_prefix_and_genome(store):
    g = genome.seeds.get("gru")
    genome_id = store.add_genomes([g])[g.hash]
    for key in (genome_id, g.hash, g.hash[:4], g.hash[:10].upper(), g):
        assert store.genome(key).id == genome_id


def test_ambiguous_and_missing_prefixes_say_which(store):
    a, b = colliding_prefix_pair(4)
    store.add_genomes([a, b])
    with pytest.raises(AmbiguousKeyError, match="ambiguous") as caught:
        store.genome(a.hash[:4])
    assert a.hash[:12] in str(caught.value) and b.hash[:12] in str(caught.value)
    assert isinstance(caught.value, KeyError)
    assert store.genome(a.hash[:12]).hash == a.hash  # longer prefixes resolve
    with pytest.raises(NotFoundError, match="no genome with hash prefix"):
        store.genome("ffff" if not a.hash.startswith("ffff") else "0000")
    with pytest.raises(NotFoundError, match="no genome with id 999"):
        store.genome(999)
    with pytest.raises(InvalidInputError, match="4 to 64 hex digits") as caught:
        store.genome("abc")
    assert "pass the integer" not in str(caught.value)
    with pytest.raises(InvalidInputError, match="for the genome with id 90, pass the integer"):
        store.genome("90")  # the command line reads digits as an id; the API wants an int
    with pytest.raises(InvalidInputError):
        store.genome("not-hex!")


def test_big_genome_and_megabyte_metrics_round_trip_exactly(store):
    big = big_genome()
    genome_id = store.add_genomes([big])[big.hash]
    record = store.genome(genome_id)
    assert record.size == big.size > 5000
    assert record.data == genome.to_json(big)
    assert record.canonical == str(big.canonical())
    assert record.text == str(big)
    assert record.genome == big and record.genome.hash == big.hash

    rng = random.Random(0)
    metrics = {f"k{i:05d}-{'é∂' if i % 7 == 0 else ''}": rng.random() for i in range(20_000)}
    metrics["curve"] = [rng.random() for _ in range(20_000)]
    metrics["nested"] = {"z": 1, "a": [None, True, "x" * 100_000, -0.0, 1e308, 2**53 + 1]}
    assert len(json.dumps(metrics)) > 1_000_000
    added = store.add_evaluations([(big.hash, "copy", "p", 0)])
    evaluation_id = added.ids[0]
    store.claim("w")
    store.finish(evaluation_id, "done", score=0.5, metrics=metrics, worker="w")
    stored = store.evaluation(evaluation_id).metrics
    assert stored == metrics
    assert json.dumps(stored) == json.dumps(metrics)  # key order and float text too


# -- campaigns and members ----------------------------------------------------------------


def test_campaigns(store):
    created = store.create_campaign("hunt", {"population": 10, "tasks": ["copy"]}, seed=7)
    assert (created.name, created.seed, created.status) == ("hunt", 7, CampaignStatus.CREATED)
    assert created.config == {"population": 10, "tasks": ["copy"]}
    assert created.created_at.tzinfo is UTC
    with pytest.raises(InvalidInputError, match="campaign 'hunt' already exists"):
        store.create_campaign("hunt", {}, seed=1)
    store.create_campaign("other")
    assert [c.name for c in store.campaigns()] == ["hunt", "other"]
    running = store.set_campaign_status("hunt", "running")
    assert running.status is CampaignStatus.RUNNING
    assert running.updated_at >= created.updated_at
    assert store.campaign("hunt") == running
    assert store.campaign(created.id) == running
    with pytest.raises(InvalidInputError, match="campaign status must be one of"):
        store.set_campaign_status("hunt", "paused-ish")
    with pytest.raises(NotFoundError, match="no campaign named 'nope'"):
        store.campaign("nope")
    with pytest.raises(InvalidInputError, match="not JSON"):
        store.create_campaign("bad", {"x": float("nan")})
    assert [c.name for c in store.campaigns()] == ["hunt", "other"]


def test_members_and_alive_flag(store):
    store.create_campaign("c")
    gs = [variant(i) for i in range(4)]
    store.add_genomes(gs)
    assert store.add_members("c", [(gs[0].hash, 0, 0, "seed"), (gs[1], 0, 1, Origin.RANDOM),
                                   (gs[2].hash, 1, 2, "mutation")]) == 3
    assert store.add_members("c", [(gs[0].hash, 5, 9, "crossover")]) == 0  # first one kept
    members = store.members("c")
    assert [(m.genome_hash, m.generation, m.birth_order, m.origin) for m in members] == [
        (gs[0].hash, 0, 0, Origin.SEED), (gs[1].hash, 0, 1, Origin.RANDOM),
        (gs[2].hash, 1, 2, Origin.MUTATION)]
    assert all(m.alive for m in members)
    assert store.kill_members("c", [gs[0].hash, gs[2]]) == 2
    assert [m.genome_hash for m in store.members("c", alive=True)] == [gs[1].hash]
    assert [m.genome_hash for m in store.members("c", alive=False)] == [gs[0].hash, gs[2].hash]
    assert store.set_alive("c", [gs[0].hash], True) == 1
    with pytest.raises(NotFoundError, match="not members of campaign 'c'"):
        store.kill_members("c", [gs[1].hash, gs[3].hash])
    assert store.members("c", alive=True)[1].genome_hash == gs[1].hash  # unchanged


def test_bad_member_batches_store_nothing(store):
    store.create_campaign("c")
    gs = [variant(i) for i in range(3)]
    store.add_genomes(gs[:2])
    with pytest.raises(NotFoundError, match="unknown genome hash"):
        store.add_members("c", [(gs[0].hash, 0, 0, "seed"), (gs[2].hash, 0, 1, "seed")])
    with pytest.raises(InvalidInputError, match="origin must be one of"):
        store.add_members("c", [(gs[0].hash, 0, 0, "seed"), (gs[1].hash, 0, 1, "cloning")])
    with pytest.raises(InvalidInputError, match="generation must be between 0"):
        store.add_members("c", [(gs[0].hash, -1, 0, "seed")])
    with pytest.raises(NotFoundError, match="no campaign named 'd'"):
        store.add_members("d", [(gs[0].hash, 0, 0, "seed")])
    assert store.members("c") == []


# -- lineage ------------------------------------------------------------------------------


def test_lineage_parents_children_and_depth(store):
    store.create_campaign("c")
    a, b, c, d = (variant(i) for i in range(4))
    ids = store.add_genomes([a, b, c, d])
    created = store.add_lineage([
        (a.hash, c.hash, "crossover", "c"), (b, c, "crossover", "c"),
        (c.hash, d.hash, "mutation"),
    ])
    assert created == 3
    assert store.add_lineage([(a.hash, c.hash, "crossover", "c"), (c, d, "mutation")]) == 0

    family = store.lineage(c.hash[:8])
    assert family.genome_id == ids[c.hash]
    assert {(e.parent_hash, e.operator, e.campaign) for e in family.parents} == {
        (a.hash, "crossover", "c"), (b.hash, "crossover", "c")}
    assert [(e.child_hash, e.operator, e.campaign) for e in family.children] == [
        (d.hash, "mutation", None)]
    assert store.lineage(a).parents == ()
    deep = store.lineage(d, depth=2)
    assert [(e.parent_hash, e.depth) for e in deep.parents[:1]] == [(c.hash, 1)]
    assert {(e.parent_hash, e.child_hash, e.depth) for e in deep.parents[1:]} == {
        (a.hash, c.hash, 2), (b.hash, c.hash, 2)}
    assert len(store.lineage(d).parents) == 1


def test_lineage_survives_cycles_and_refuses_bad_edges(store):
    a, b, c = (variant(i) for i in range(3))
    store.add_genomes([a, b])
    store.add_lineage([(a, b, "mutation"), (b, a, "mutation")])  # rediscovery
    family = store.lineage(a, depth=None)
    assert {(e.parent_hash, e.child_hash) for e in family.parents} == {(b.hash, a.hash),
                                                                      (a.hash, b.hash)}
    with pytest.raises(InvalidInputError, match="parent and child are the same genome"):
        store.add_lineage([(a, b, "crossover"), (a, a, "mutation")])
    with pytest.raises(NotFoundError, match="unknown genome hash"):
        store.add_lineage([(a, b, "crossover"), (a, c, "mutation")])
    with pytest.raises(NotFoundError, match="no campaign named 'zz'"):
        store.add_lineage([(a, b, "crossover", "zz")])
    assert [e.operator for e in store.lineage(b).parents] == ["mutation"]


# -- evaluations --------------------------------------------------------------------------


def test_same_genome_is_never_evaluated_twice_under_one_protocol_and_seed(store):
    a, b = variant(1), variant(2)
    store.add_genomes([a, b])
    first = store.add_evaluations([(a.hash, "copy", "p1", 0), (b.hash, "copy", "p1", 0),
                                   (a.hash, "copy", "p1", 0)])
    assert first.ids[0] == first.ids[2] and len(first.created) == 2 and first.existing == ()
    second = store.add_evaluations([(a, "copy", "p1", 0), (a, "copy", "p1", 1),
                                    (a, "copy", "p2", 0), (a, "xml", "p1", 0)])
    assert second.ids[0] == first.ids[0] and second.existing == (first.ids[0],)
    assert len(second.created) == 3
    evaluations = store.evaluations(a)
    assert len(evaluations) == 4
    assert {(e.task, e.protocol_hash, e.seed) for e in evaluations} == {
        ("copy", "p1", 0), ("copy", "p1", 1), ("copy", "p2", 0), ("xml", "p1", 0)}
    assert all(e.status is EvaluationStatus.PENDING and e.attempts == 0 for e in evaluations)


def test_bad_evaluation_batches_store_nothing(store):
    a = variant(1)
    store.add_genomes([a])
    good = (a.hash, "copy", "p", 0)
    cases = [
        ((variant(2).hash, "copy", "p", 0), NotFoundError, "unknown genome hash"),
        ((a.hash, "", "p", 0), InvalidInputError, "task must not be empty"),
        ((a.hash, "copy", "p", "0"), InvalidInputError, "seed must be an integer"),
        ((a.hash, "copy", "p", 2**64), InvalidInputError, "seed must be between"),
        (("abc", "copy", "p", 0), InvalidInputError, "full genome hash"),
        (NewEvaluation(a.hash, "t", "p", 0, "done"), InvalidInputError, "needs a score"),
        (NewEvaluation(a.hash, "t", "p", 0, "done", float("nan")), InvalidInputError,
         "must be finite"),
        (NewEvaluation(a.hash, "t", "p", 0, "done", 1.0, {"x": float("inf")}),
         InvalidInputError, "not JSON"),
        (NewEvaluation(a.hash, "t", "p", 0, "running"), InvalidInputError, "claim"),
        (NewEvaluation(a.hash, "t", "p", 0, "pending", 1.0), InvalidInputError, "no result"),
        (NewEvaluation(a.hash, "t", "p", 0, "finished"), InvalidInputError, "status must be"),
        ((a.hash, "copy\x00", "p", 0), InvalidInputError, "NUL"),
    ]
    for bad, error, message in cases:
        with pytest.raises(error, match=message):
            store.add_evaluations([good, bad])
    with pytest.raises(NotFoundError, match="no campaign named 'nope'"):
        store.add_evaluations([good], campaign="nope")
    assert store.evaluations(a) == []


def test_finished_results_can_be_recorded_directly(store):
    a = variant(1)
    store.add_genomes([a])
    added = store.add_evaluations([
        NewEvaluation(a.hash, "copy", "p", 0, "done", 0.75, {"loss": 0.2}),
        NewEvaluation(a.hash, "copy", "p", 1, EvaluationStatus.DIVERGED, error="nan loss"),
    ])
    done, diverged = (store.evaluation(i) for i in added.ids)
    assert (done.status, done.score, done.metrics) == (EvaluationStatus.DONE, 0.75, {"loss": 0.2})
    assert done.finished_at is not None and done.finished_at.tzinfo is UTC
    assert (diverged.status, diverged.score, diverged.error) == (
        EvaluationStatus.DIVERGED, None, "nan loss")
    assert store.claim("w") == []


def _queue(store, n, task="copy", campaign=None):
    gs = [variant(i) for i in range(n)]
    store.add_genomes(gs)
    return store.add_evaluations([(g.hash, task, "p", 0) for g in gs], campaign=campaign).ids


def test_claim_takes_oldest_pending_and_marks_them_running(store):
    ids = _queue(store, 5)
    claimed = store.claim("w1", limit=2)
    assert [e.id for e in claimed] == list(ids[:2])
    for e in claimed:
        assert (e.status, e.worker, e.attempts) == (EvaluationStatus.RUNNING, "w1", 1)
        assert e.started_at is not None and e.heartbeat_at == e.started_at
        assert e.started_at.tzinfo is UTC
    assert [e.id for e in store.claim("w2", limit=10)] == list(ids[2:])
    assert store.claim("w3") == []
    with pytest.raises(InvalidInputError, match="limit must be between 1"):
        store.claim("w1", limit=0)


def test_claim_filters_by_campaign_and_task(store):
    store.create_campaign("c")
    store.create_campaign("d")
    gs = [variant(i) for i in range(4)]
    store.add_genomes(gs)
    asked_by_c = store.add_evaluations([(gs[0], "copy", "p", 0)], campaign="c").ids[0]
    asked_by_d = store.add_evaluations([(gs[1], "copy", "p", 0)], campaign="d").ids[0]
    member_of_c = store.add_evaluations([(gs[2], "xml", "p", 0)]).ids[0]
    store.add_members("c", [(gs[2].hash, 0, 0, "seed")])
    unrelated = store.add_evaluations([(gs[3], "xml", "p", 0)]).ids[0]

    assert [e.id for e in store.claim("w", limit=9, campaign="c", tasks=["xml"])] == [
        member_of_c]
    assert [e.id for e in store.claim("w", limit=9, campaign="c")] == [asked_by_c]
    assert [e.id for e in store.claim("w", limit=9, tasks="xml")] == [unrelated]
    assert [e.id for e in store.claim("w", limit=9)] == [asked_by_d]
    with pytest.raises(NotFoundError):
        store.claim("w", campaign="nope")


def test_claim_by_id_takes_only_those(store):
    ids = _queue(store, 4)
    claimed = store.claim("w", limit=9, ids=[ids[2], ids[3]])
    assert [e.id for e in claimed] == [ids[2], ids[3]]
    assert store.claim("w", ids=[ids[2]]) == []  # running now, not pending
    assert store.claim("w", ids=[]) == []
    assert [e.id for e in store.claim("w", limit=9)] == [ids[0], ids[1]]
    with pytest.raises(InvalidInputError, match="evaluation id"):
        store.claim("w", ids=["x"])


def test_release_gives_back_a_stopped_workers_evaluations_untried(store):
    ids = _queue(store, 3)
    store.claim("stopped", limit=2)
    store.claim("alive", limit=1)
    store.finish(ids[1], "done", score=1.0, worker="stopped")
    assert store.release(["stopped"]) == 1
    first, second, third = store.evaluations_by_id(ids)
    assert (first.status, first.attempts) == (EvaluationStatus.PENDING, 0)
    assert second.status is EvaluationStatus.DONE  # a result is never given back
    assert (third.status, third.worker) == (EvaluationStatus.RUNNING, "alive")
    assert store.release([]) == 0
    assert store.claim("next")[0].attempts == 1


def test_heartbeat_reports_what_the_worker_still_holds(store):
    ids = _queue(store, 3)
    store.claim("w1", limit=2)
    store.claim("w2", limit=1)
    before = store.evaluation(ids[0]).heartbeat_at
    time.sleep(0.01)
    assert store.heartbeat([ids[0], ids[1], ids[2], 999], "w1") == [ids[0], ids[1]]
    assert store.evaluation(ids[0]).heartbeat_at > before
    assert store.heartbeat([], "w1") == []


def test_finish_twice_is_refused_and_keeps_the_first_result(store):
    (evaluation_id,) = _queue(store, 1)
    store.claim("w1")
    store.finish(evaluation_id, "done", score=0.9, metrics={"loss": 0.1}, worker="w1")
    with pytest.raises(AlreadyFinishedError, match=r"already done with score 0\.9"):
        store.finish(evaluation_id, "done", score=0.1, worker="w1")
    with pytest.raises(AlreadyFinishedError, match="never overwritten"):
        store.finish(evaluation_id, "failed", error="late", worker="w2")
    kept = store.evaluation(evaluation_id)
    assert (kept.status, kept.score, kept.metrics, kept.error, kept.worker) == (
        EvaluationStatus.DONE, 0.9, {"loss": 0.1}, None, "w1")
    with pytest.raises(NotFoundError, match="no evaluation with id 12345"):
        store.finish(12345, "done", score=1.0)
    with pytest.raises(InvalidInputError, match="final status"):
        store.finish(evaluation_id, "running")


def test_stale_runs_are_requeued_and_the_dead_workers_late_result_refused(store):
    first, second = _queue(store, 2)
    store.claim("dead", limit=2)
    time.sleep(0.15)
    store.heartbeat([second], "dead")  # `second` is still alive
    assert store.requeue_stale(0.1) == 1
    requeued = store.evaluation(first)
    assert (requeued.status, requeued.attempts) == (EvaluationStatus.PENDING, 1)
    assert store.evaluation(second).status is EvaluationStatus.RUNNING

    retaken = store.claim("fresh")
    assert [(e.id, e.attempts, e.worker) for e in retaken] == [(first, 2, "fresh")]
    with pytest.raises(LeaseLostError, match="now running on worker 'fresh'"):
        store.finish(first, "done", score=0.3, worker="dead")
    assert store.heartbeat([first], "dead") == []
    finished = store.finish(first, "done", score=0.4, worker="fresh")
    assert (finished.score, finished.worker, finished.attempts) == (0.4, "fresh", 2)


def test_a_requeued_result_is_still_accepted_before_anyone_retakes_it(store):
    (evaluation_id,) = _queue(store, 1)
    store.claim("slow")
    time.sleep(0.05)
    assert store.requeue_stale(0.01) == 1
    done = store.finish(evaluation_id, "done", score=1.5, worker="slow")
    assert (done.status, done.score) == (EvaluationStatus.DONE, 1.5)
    assert store.claim("other") == []


def test_requeue_gives_up_after_max_attempts(store):
    (evaluation_id,) = _queue(store, 1)
    for attempt in range(1, 3):
        store.claim(f"w{attempt}")
        time.sleep(0.03)
        assert store.requeue_stale(0.01, max_attempts=2) == 1
    failed = store.evaluation(evaluation_id)
    assert (failed.status, failed.attempts) == (EvaluationStatus.FAILED, 2)
    assert "worker w2" in failed.error and "attempt 2 of 2" in failed.error
    assert store.claim("w3") == []
    assert store.requeue_stale(0.0) == 0


# -- ranking ------------------------------------------------------------------------------


def _scored(store):
    gs = [variant(i) for i in range(5)]
    store.add_genomes(gs)
    scores = {  # genome index -> {task: [scores over seeds]}
        0: {"copy": [0.2, 0.9], "xml": [0.1]},
        1: {"copy": [0.5], "xml": [0.95]},
        2: {"copy": [0.7]},
        3: {"xml": [0.3]},
        4: {"copy": [0.9]},  # ties with genome 0's best; added later
    }
    items = [NewEvaluation(gs[i].hash, task, "p", seed, "done", s)
             for i, tasks in scores.items() for task, values in tasks.items()
             for seed, s in enumerate(values)]
    store.add_evaluations(items)
    store.add_evaluations([NewEvaluation(gs[3].hash, "copy", "p", 0, "failed", error="boom"),
                           (gs[3].hash, "copy", "p", 1)])
    return gs


def test_best_per_task_ranks_each_genome_once_by_its_best_score(store):
    gs = _scored(store)
    best = store.best(task="copy", k=10)
    assert [(r.hash, r.score) for r in best] == [
        (gs[0].hash, 0.9), (gs[4].hash, 0.9), (gs[2].hash, 0.7), (gs[1].hash, 0.5)]
    assert [r.rank for r in best] == [1, 2, 3, 4]
    top = best[0]
    assert (top.task, top.protocol_hash, top.seed) == ("copy", "p", 1)
    assert top.genome == gs[0] and top.text == str(gs[0]) and top.size == gs[0].size
    assert store.evaluation(top.evaluation_id).score == 0.9
    assert [r.hash for r in store.best(task="copy", k=2)] == [gs[0].hash, gs[4].hash]
    assert store.best(task="nothing") == []


def test_best_per_campaign_and_no_ranking_across_tasks(store):
    gs = _scored(store)
    # 0.95 on xml and 0.9 on copy do not compare: there is no overall ranking.
    with pytest.raises(InvalidInputError, match=r"best\(\) needs a task or a campaign"):
        store.best(k=3)

    store.create_campaign("c")
    store.add_members("c", [(gs[i].hash, 0, i, "seed") for i in (0, 2, 3)])
    # No member score yet: members ranked by their best evaluation of any task.
    assert [(r.hash, r.score) for r in store.best(campaign="c")] == [
        (gs[0].hash, 0.9), (gs[2].hash, 0.7), (gs[3].hash, 0.3)]
    assert [r.hash for r in store.best(campaign="c", task="xml")] == [gs[3].hash, gs[0].hash]

    store.set_member_scores("c", {gs[3].hash: 2.0, gs[2].hash: -1.0})
    ranked = store.best(campaign="c")
    assert [(r.hash, r.score, r.task, r.evaluation_id) for r in ranked] == [
        (gs[3].hash, 2.0, None, None), (gs[2].hash, -1.0, None, None)]
    with pytest.raises(NotFoundError, match="not members"):
        store.set_member_scores("c", {gs[1].hash: 5.0, gs[0].hash: 1.0})
    with pytest.raises(InvalidInputError, match="finite"):
        store.set_member_scores("c", {gs[0].hash: float("inf")})
    assert [r.hash for r in store.best(campaign="c")] == [gs[3].hash, gs[2].hash]
    with pytest.raises(InvalidInputError, match="k must be between 1"):
        store.best(k=0)


def test_best_finds_k_genomes_even_when_one_genome_crowds_the_top(store):
    crowd, others = variant(0), [variant(i) for i in range(1, 4)]
    store.add_genomes([crowd, *others])
    store.add_evaluations([NewEvaluation(crowd.hash, "copy", "p", seed, "done", 10.0 + seed)
                           for seed in range(200)])
    store.add_evaluations([NewEvaluation(g.hash, "copy", "p", 0, "done", float(i))
                           for i, g in enumerate(others)])
    best = store.best(task="copy", k=3)
    assert [(r.hash, r.score) for r in best] == [
        (crowd.hash, 209.0), (others[2].hash, 2.0), (others[1].hash, 1.0)]


def test_evaluation_counts(store):
    _scored(store)
    counts = store.evaluation_counts()
    assert counts[EvaluationStatus.DONE] == 8
    assert counts[EvaluationStatus.FAILED] == 1
    assert counts[EvaluationStatus.PENDING] == 1
    assert counts[EvaluationStatus.RUNNING] == 0
    assert store.evaluation_counts(task="xml")[EvaluationStatus.DONE] == 3


def test_store_error_messages_are_store_errors(store):
    for call in (lambda: store.genome(10**6), lambda: store.campaign("x"),
                 lambda: store.finish(1, "done", score=1.0)):
        with pytest.raises(StoreError):
            call()


def test_campaign_ranking_is_the_same_whichever_plan_shape_is_used(store, monkeypatch):
    from evolve.store import _ranking

    gs = _scored(store)
    store.create_campaign("c")
    store.add_members("c", [(gs[i].hash, 0, i, "seed") for i in (0, 2, 3)])
    small = [(r.hash, r.score) for r in store.best(campaign="c")]
    small_xml = [(r.hash, r.score) for r in store.best(campaign="c", task="xml")]
    monkeypatch.setattr(_ranking, "_SMALL_CAMPAIGN", 1)  # treat "c" as a large campaign
    assert [(r.hash, r.score) for r in store.best(campaign="c")] == small
    assert [(r.hash, r.score) for r in store.best(campaign="c", task="xml")] == small_xml
    assert small == [(gs[0].hash, 0.9), (gs[2].hash, 0.7), (gs[3].hash, 0.3)]


def test_batches_larger_than_one_statement(store):
    a, b = variant(1), variant(2)
    store.add_genomes([a, b])
    items = [NewEvaluation(a.hash, "copy", "p", seed, "done", float(seed), {"seed": seed})
             for seed in range(2300)]
    items += [(b.hash, "copy", "p", seed) for seed in range(2300)]
    added = store.add_evaluations(items)
    assert len(added.created) == 4600 and len(set(added.ids)) == 4600
    again = store.add_evaluations(items[::-1])
    assert again.created == () and again.ids == added.ids[::-1]
    assert store.best(task="copy", k=1)[0].score == 2299.0
    assert len(store.claim("w", limit=5000)) == 2300
    assert len(store.heartbeat(added.ids, "w")) == 2300
    store.analyze()  # refreshes planner statistics; changes no result
    assert store.best(task="copy", k=1)[0].score == 2299.0


def test_a_campaign_counts_and_claims_the_evaluations_of_its_members(store):
    from evolve.store import EvaluationKey

    store.create_campaign("a")
    store.create_campaign("b")
    g = variant(1)
    store.add_genomes([g])
    (shared,) = store.add_evaluations([EvaluationKey(g.hash, "copy", "p", 0)], campaign="a").ids
    assert store.add_evaluations([(g.hash, "copy", "p", 0)], campaign="b").existing == (shared,)
    assert store.evaluation_counts(campaign="b")[EvaluationStatus.PENDING] == 0
    store.add_members("b", [(g.hash, 0, 0, "seed")])
    assert store.evaluation_counts(campaign="b")[EvaluationStatus.PENDING] == 1
    assert [e.id for e in store.claim("w", campaign="b")] == [shared]
    assert store.evaluation_counts(campaign="a")[EvaluationStatus.RUNNING] == 1


def test_counts_by_seed_and_a_bad_seed_is_named(store):
    g = genome.seeds.get("gru")
    store.add_genomes([g])
    store.add_evaluations([NewEvaluation(g.hash, "xml", "p" * 64, seed, status="done",
                                         score=1.0, metrics={}) for seed in (1, 2)])
    assert store.evaluation_counts(seeds=[2])[EvaluationStatus.DONE] == 1
    assert store.evaluation_counts()[EvaluationStatus.DONE] == 2
    with pytest.raises(InvalidInputError, match="seed must be an integer, got str"):
        store.evaluation_counts(seeds=["2"])
