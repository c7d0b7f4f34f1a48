"""Executors: which databases they accept, dying workers, stopping, thread limits."""

import _thread
import os
import threading
import time

import pytest

from evolve.campaign import (
    Campaign,
    CampaignError,
    InlineExecutor,
    LocalExecutor,
    WorkerOptions,
    load_config,
)
from evolve.campaign import executors as executors_module
from evolve.store import EvaluationStatus, Store
from genome import seeds
from tests.evolve.campaign.conftest import TINY


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:",
                                 "sqlite:///file:x?mode=memory&uri=true"])
def test_out_of_process_executors_refuse_an_in_memory_database(url):
    with pytest.raises(CampaignError, match=r"in-memory SQLite.*the local executor's workers "
                                            r"run in other processes"):
        LocalExecutor(1).check_url(url)
    InlineExecutor().check_url(url)  # the inline executor shares this process's database
    LocalExecutor(1).check_url("sqlite:///evolve.db")


def test_a_campaign_on_an_in_memory_database_with_a_pool_fails_before_changing_anything(
        tiny_config):
    store = Store("sqlite://")
    Campaign.create(store, "m", tiny_config)
    executor = LocalExecutor(1)
    with pytest.raises(CampaignError, match="in-memory SQLite"):
        Campaign.open(store, "m").run(executor)
    assert store.campaign("m").status.value == "created"
    assert executor.processes == []


class _DyingPool(LocalExecutor):
    """A pool whose workers exit at once with code 3 (like a broken install would)."""

    def _spawn(self):
        process = self.context.Process(target=os._exit, args=(3,), daemon=True)
        process.start()
        return process


def test_a_pool_whose_workers_keep_dying_is_an_error_not_a_loop(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'dying.db'}")
    executor = _DyingPool(2, max_restarts=4, restart_window=60.0)
    executor.start(store, "c", WorkerOptions())
    try:
        with pytest.raises(CampaignError, match=r"local worker processes keep dying: 5 restarts "
                                                r"in 60 s, the last exited with code 3"):
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                executor.pump(1)
                time.sleep(0.05)
    finally:
        executor.stop()
    assert executor.restarts == 4


def test_restarts_spread_over_time_are_allowed(tmp_path, monkeypatch):
    executor = LocalExecutor(1, max_restarts=2, restart_window=10.0)
    executor.campaign = "c"
    clock = [0.0]
    monkeypatch.setattr(executors_module.time, "monotonic", lambda: clock[0])
    for _ in range(6):  # one restart every 6 s: never more than 2 within 10 s
        clock[0] += 6.0
        executor._count_restart(1)


def test_dask_tasks_set_the_tensorflow_threads(monkeypatch, tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'd.db'}")
    Campaign.create(store, "c", load_config("smoke"))
    store.set_campaign_status("c", "running")
    configured = []
    monkeypatch.setattr(executors_module, "configure_threads", configured.append)
    monkeypatch.setattr(executors_module, "run_one", lambda *args, **kwargs: None)
    executors_module._dask_task(store, "c", WorkerOptions(threads=3), "dask:h:1:x.1")
    assert configured == [3]


@pytest.mark.slow
def test_stopping_a_local_pool_gives_back_what_its_workers_held(store):
    """Ctrl-C while a worker trains: it is terminated and its evaluation is pending, untried."""
    config = load_config("smoke", **{**TINY, "tasks": [
        {"task": "memorization", "preset": "smoke",
         "overrides": {"train_steps": 5000, "units": 8, "valid_sequences": 32,
                       "test_sequences": 32}}]})
    campaign = Campaign.create(store, "stop", config)
    executor = LocalExecutor(1, grace=0.2)
    watcher = Store(str(store.url))
    seen = threading.Event()

    def interrupt_once_running():
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            if watcher.evaluation_counts()[EvaluationStatus.RUNNING]:
                seen.set()
                _thread.interrupt_main()
                return
            time.sleep(0.1)

    threading.Thread(target=interrupt_once_running, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        campaign.run(executor, poll=0.1)
    assert seen.is_set(), "no evaluation was seen running"
    assert executor.processes == []
    # The reference is evaluated first: that is what the worker was training.
    [record] = store.evaluations(seeds.get("gru").hash)
    assert (record.status, record.attempts) == (EvaluationStatus.PENDING, 0)
    assert record.worker.startswith("worker:")
    assert store.evaluation_counts()[EvaluationStatus.RUNNING] == 0
    assert store.campaign("stop").status.value == "stopped"
