"""Whole campaigns, with real training at a tiny size."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evolve.campaign import Campaign, CampaignError, InlineExecutor, LocalExecutor, load_config
from evolve.evaluation import Status
from evolve.store import EvaluationStatus, NotFoundError, Store
from tests.evolve.campaign.conftest import TINY, snapshot


def test_campaign_runs_to_its_budget_and_stores_everything(store, tiny_config):
    summary = Campaign.create(store, "tiny", tiny_config, seed=3).run()
    assert summary.status == "finished" and summary.candidates == 6
    members = store.members("tiny")
    assert len(members) == 6
    assert all(m.score is not None for m in members)
    assert {m.origin.value for m in members if m.generation == 0} == {"seed"}
    children = [m for m in members if m.generation > 0]
    assert children and all(m.origin.value in ("mutation", "crossover") for m in children)
    for child in children:  # every child knows its parents and the operator
        parents = store.lineage(child.genome_hash).parents
        assert parents and all(edge.campaign == "tiny" for edge in parents)
    counts = store.evaluation_counts(campaign="tiny")
    assert counts[EvaluationStatus.PENDING] == counts[EvaluationStatus.RUNNING] == 0
    assert sum(counts.values()) == 6  # the reference (gru) is a member: evaluated once
    assert len([m for m in members if m.alive]) == 3  # population 3
    best = store.best(campaign="tiny", k=1)[0]
    assert best.score == max(m.score for m in members)
    assert summary.best[0]["hash"] == best.hash


def test_same_seed_same_campaign_with_one_or_two_workers(tmp_path, tiny_config):
    inline = Store(f"sqlite:///{tmp_path / 'inline.db'}")
    Campaign.create(inline, "c", tiny_config, seed=5).run(InlineExecutor())
    pooled = Store(f"sqlite:///{tmp_path / 'pooled.db'}")
    Campaign.create(pooled, "c", tiny_config, seed=5).run(LocalExecutor(2), poll=0.2)
    assert snapshot(inline, "c") == snapshot(pooled, "c")
    other = Store(f"sqlite:///{tmp_path / 'other.db'}")
    Campaign.create(other, "c", tiny_config, seed=6).run(InlineExecutor())
    assert snapshot(other, "c") != snapshot(inline, "c")


def test_dask_local_cluster_gives_the_same_campaign(tmp_path, tiny_config):
    pytest.importorskip("distributed", reason="the [dask] extra is not installed")
    from evolve.campaign import DaskExecutor

    inline = Store(f"sqlite:///{tmp_path / 'inline.db'}")
    Campaign.create(inline, "c", tiny_config, seed=9).run()
    dask = Store(f"sqlite:///{tmp_path / 'dask.db'}")
    executor = DaskExecutor(workers=2)
    Campaign.create(dask, "c", tiny_config, seed=9).run(executor, poll=0.2)
    assert snapshot(inline, "c") == snapshot(dask, "c")
    # Like the local pool: the cores shared among the cluster's workers.
    assert executor.options.threads == max(1, (os.cpu_count() or 1) // 2)
    workers = {e.worker.split(":")[0] for m in dask.members("c")
               for e in dask.evaluations(m.genome_hash)}
    assert workers == {"dask"}


def test_failing_candidates_are_recorded_and_the_campaign_goes_on(store, tiny_config,
                                                                  monkeypatch):
    import evolve.evaluation
    from genome import seeds

    real_evaluate = evolve.evaluation.evaluate
    doomed = seeds.get("rnn").hash

    def flaky(genome, protocol, seed=0, data_dir=None):
        if genome.hash == doomed:
            result = real_evaluate(genome, protocol.replace(train_steps=1), seed, data_dir)
            return type(result)(status=Status.DIVERGED, task=result.task,
                                metric=result.metric, higher_is_better=True, value=0.0,
                                error="loss became nan at training step 1")
        return real_evaluate(genome, protocol, seed, data_dir)

    monkeypatch.setattr(evolve.evaluation, "evaluate", flaky)
    summary = Campaign.create(store, "flaky", tiny_config, seed=1).run()
    assert summary.status == "finished" and summary.candidates == 6
    assert summary.failures == 1 and summary.failure_kinds == {"diverged": 1}
    rnn = next(m for m in store.members("flaky") if m.genome_hash == doomed)
    assert rnn.score == 0.0
    [evaluation] = store.evaluations(rnn.genome_hash)
    assert evaluation.status is EvaluationStatus.DIVERGED
    assert "loss became nan" in evaluation.error


def test_reference_failure_stops_with_a_clear_message(store):
    config = load_config("smoke", **{**TINY, "tasks": [
        {"task": "memorization", "preset": "smoke",
         "overrides": {"train_steps": 5, "units": 8, "max_params": 10}}]})
    with pytest.raises(CampaignError, match="reference cell gru did not finish on memorization"):
        Campaign.create(store, "doomed", config).run()
    assert store.campaign("doomed").status.value == "failed"


def test_open_keeps_the_stored_config_and_may_raise_the_budget(store, tiny_config):
    Campaign.create(store, "grow", tiny_config, seed=2).run()
    resumed = Campaign.open(store, "grow", budget=9)
    assert resumed.config.budget == 9 and resumed.seed == 2
    summary = resumed.run()
    assert summary.candidates == 9
    assert Campaign.open(store, "grow").config.budget == 9


def _wait_for(predicate, timeout: float, every: float = 0.3) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(every)
    raise AssertionError("condition not reached in time")


KILL_TOML = (
    'strategy = "regularized"\nbudget = {budget}\nbatch = 3\nstale_after = 2.0\n'
    'initial = ["rnn", "gru", "mingru"]\n'
    '[search]\npopulation = 3\ntournament = 2\ntop = 3\n'
    '[tasks.memorization]\npreset = "smoke"\n'
    'overrides = {{ train_steps = 15, units = 8, valid_sequences = 32, '
    'test_sequences = 32 }}\n')


def _start(tmp_path, budget: int) -> tuple[subprocess.Popen, str, Path]:
    config_file = tmp_path / "campaign.toml"
    config_file.write_text(KILL_TOML.format(budget=budget))
    url = f"sqlite:///{tmp_path / 'killed.db'}"
    command = [sys.executable, "-m", "evolve.cli", "run", "--config", str(config_file),
               "--campaign", "k", "--db", url, "--workers", "1", "--seed", "4",
               "--no-progress"]
    # A session of its own: signals go to the coordinator and its workers, as a
    # terminal's Ctrl-C does.
    process = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, cwd=Path(__file__).parents[3])
    return process, url, config_file


def _resume(url: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "evolve.cli", "run", "--campaign", "k",
                           "--db", url, "--workers", "1", "--no-progress"],
                          capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).parents[3])


def test_kill_minus_nine_and_resume(tmp_path, tiny_config):
    """Kill the campaign and its workers mid-evaluation; the resumed run ends as an
    uninterrupted one, and the evaluation that was running is run again."""
    process, url, config_file = _start(tmp_path, budget=9)
    observer = Store(url)
    running: list = []

    def frozen_while_running() -> bool:
        if _scored(observer) < 3 or not _evaluations(observer, EvaluationStatus.RUNNING):
            return False
        # Freeze them all, then look again: what runs now is what the kill interrupts.
        os.killpg(process.pid, signal.SIGSTOP)
        running[:] = _evaluations(observer, EvaluationStatus.RUNNING)
        if not running:
            os.killpg(process.pid, signal.SIGCONT)
        return bool(running)

    try:
        _wait_for(frozen_while_running, timeout=180, every=0.05)
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the coordinator and its workers, at once
        process.wait()
    before = {m.genome_hash: m.score for m in observer.members("k") if m.score is not None}
    assert 3 <= len(before) < 9
    [killed] = running
    assert observer.evaluation(killed.id).status is EvaluationStatus.RUNNING  # as it died
    assert killed.attempts == 1

    resumed = _resume(url)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resuming campaign 'k'" in resumed.stderr
    after = {m.genome_hash: m.score for m in observer.members("k")}
    assert len(after) == 9 and all(score is not None for score in after.values())
    for genome_hash, score in before.items():  # finished work was kept as it was
        assert after[genome_hash] == score
    rerun = observer.evaluation(killed.id)  # taken back by heartbeat, and run again
    assert (rerun.status, rerun.attempts) == (EvaluationStatus.DONE, 2)

    # The same campaign, never interrupted, in one go.
    fresh = Store(f"sqlite:///{tmp_path / 'fresh.db'}")
    config = load_config("smoke", config_file)
    Campaign.create(fresh, "k", config, seed=4).run()
    assert snapshot(fresh, "k") == snapshot(observer, "k")


def test_ctrl_c_stops_at_once_gives_back_what_was_running_and_resumes(tmp_path):
    process, url, _ = _start(tmp_path, budget=6)
    observer = Store(url)
    try:
        _wait_for(lambda: _scored(observer) >= 1
                  and _evaluations(observer, EvaluationStatus.RUNNING), timeout=180,
                  every=0.05)
        os.killpg(process.pid, signal.SIGINT)
        interrupted = time.monotonic()
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 130, err.decode()[-2000:]
    assert time.monotonic() - interrupted < 30
    assert f"stopped; resume with `evolve run --campaign k --db {url}`" in err.decode()
    assert observer.campaign("k").status.value == "stopped"
    # Nothing is left running to wait for a stale heartbeat, and no try was burned.
    evaluations = _evaluations(observer)
    assert evaluations and not [e for e in evaluations
                                if e.status is EvaluationStatus.RUNNING]
    for evaluation in evaluations:
        assert evaluation.attempts == (1 if evaluation.status.final else 0), evaluation

    resumed = _resume(url)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    members = observer.members("k")
    assert len(members) == 6 and all(m.score is not None for m in members)
    assert all(e.attempts == 1 for e in _evaluations(observer))


def _scored(store: Store) -> int:
    try:
        return sum(1 for m in store.members("k") if m.score is not None)
    except NotFoundError:  # the campaign row may not exist yet
        return 0


def _evaluations(store: Store, status: EvaluationStatus | None = None) -> list:
    """The campaign's evaluations (every one is of a member: gru is one)."""
    try:
        members = store.members("k")
    except NotFoundError:
        return []
    return [e for m in members for e in store.evaluations(m.genome_hash)
            if status is None or e.status is status]


def test_missing_penn_treebank_stops_before_any_work(store, tmp_path):
    from evolve.campaign import WorkerOptions

    config = load_config("ptb")
    campaign = Campaign.create(store, "ptb", config)
    with pytest.raises(CampaignError, match=r"task ptb-char: Penn Treebank file missing"):
        campaign.run(options=WorkerOptions(data_dir=str(tmp_path / "nowhere")))
    assert store.evaluation_counts(campaign="ptb")[EvaluationStatus.PENDING] == 0


def test_a_campaign_works_on_the_stored_text_of_a_hash_as_a_resumed_one_would(
        store, tiny_config):
    # Two texts, one function, one hash: the store keeps the first text it was given
    # (here by some other campaign). A running campaign must use that text too, or
    # its operators act on another tree than they will after a resume.
    from evolve.search import Proposal
    from genome import parse

    stored, proposed = parse("h' = 0"), parse("h' = tanh(sigmoid(h) - sigmoid(h))")
    assert stored.hash == proposed.hash and str(stored) != str(proposed)
    store.add_genomes([stored])
    campaign = Campaign.create(store, "texts", tiny_config, seed=1)
    campaign._admit(1, [Proposal(proposed, "mutation")], born=100)
    assert str(campaign._genome(proposed.hash)) == str(stored)
    resumed = Campaign.open(store, "texts")
    assert str(resumed._genome(proposed.hash)) == str(stored)


def test_other_seeds_of_the_same_protocol_do_not_move_a_finished_campaigns_counts(
        store, tiny_config, capsys):
    import json

    from evolve.cli import main
    from evolve.report.campaign_report import gather_campaign
    from evolve.store import NewEvaluation

    campaign = Campaign.create(store, "counted", tiny_config, seed=3)
    before = campaign.run().evaluations
    status_args = ["status", "--db", store.url, "--json"]
    assert main(status_args) == 0
    [row] = [r for r in json.loads(capsys.readouterr().out)
             if r["name"] == "counted"]
    # A report (or another campaign) trains a member again, same protocol, other seed.
    member = store.members("counted")[0]
    task, protocol = next(iter(campaign.protocols.items()))
    store.add_evaluations([NewEvaluation(member.genome_hash, task, protocol.hash, 987654,
                                         status="done", score=0.5, metrics={})])
    assert Campaign.open(store, "counted").summary().evaluations == before
    assert gather_campaign(store, "counted")["evaluations"] == before
    assert main(status_args) == 0
    [again] = [r for r in json.loads(capsys.readouterr().out)
               if r["name"] == "counted"]
    assert again["evaluations"] == row["evaluations"]
