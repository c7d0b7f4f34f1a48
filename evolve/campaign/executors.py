"""Where evaluations run: in this process, in a local process pool, or on a Dask cluster."""

from __future__ import annotations

import abc
import multiprocessing
import os
import signal
import sys
import time

from evolve.campaign.worker import WorkerOptions, run_one, worker_loop, worker_name
from evolve.store import Store

__all__ = ["DaskExecutor", "Executor", "InlineExecutor", "LocalExecutor", "make_executor"]


class Executor(abc.ABC):
    """Runs the campaign's pending evaluations; workers report through the store."""

    name: str

    def start(self, store: Store, campaign: str, options: WorkerOptions) -> None:
        self.store = store
        self.campaign = campaign
        self.options = options

    @abc.abstractmethod
    def pump(self, pending: int) -> None:
        """Make progress on ``pending`` waiting evaluations, or look after the workers."""

    def stop(self) -> None:  # noqa: B027 - most executors have nothing to release
        """Release the workers."""

    @property
    def blocking(self) -> bool:
        """Whether :meth:`pump` does the work itself (no need to sleep between calls)."""
        return False


class InlineExecutor(Executor):
    """Evaluations run one by one in the campaign's own process (tests, debugging)."""

    name = "inline"

    def start(self, store, campaign, options):
        super().start(store, campaign, options)
        self.worker = worker_name("inline")
        self.protocols = None

    def pump(self, pending):
        from evolve.campaign.worker import protocols_of

        if not pending:
            return
        if self.protocols is None:
            self.protocols = protocols_of(self.store, self.campaign)
        run_one(self.store, self.worker, self.options, self.campaign, self.protocols)

    @property
    def blocking(self):
        return True


def _local_worker(store: Store, campaign: str, options: WorkerOptions, parent: int) -> None:
    # Ctrl-C reaches the whole process group; the campaign process handles it and the
    # workers stop when it marks the campaign stopped.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    worker_loop(store, campaign, options, parent_pid=parent)


class LocalExecutor(Executor):
    """A pool of worker processes on this machine, started with ``spawn``.

    Each worker imports TensorFlow itself and is limited to ``threads``
    TensorFlow threads (by default the cores divided among the workers). A
    worker that dies (a crash, the hard time limit) is replaced.
    """

    name = "local"

    def __init__(self, workers: int | None = None):
        self.workers = workers or os.cpu_count() or 1
        self.processes: list[multiprocessing.Process] = []
        self.restarts = 0

    def start(self, store, campaign, options):
        if not options.threads:
            cores = os.cpu_count() or 1
            options = WorkerOptions(**{**options.__dict__,
                                       "threads": max(1, cores // self.workers)})
        super().start(store, campaign, options)
        self.context = multiprocessing.get_context("spawn")
        for _ in range(self.workers):
            self.processes.append(self._spawn())

    def _spawn(self) -> multiprocessing.Process:
        process = self.context.Process(
            target=_local_worker, args=(self.store, self.campaign, self.options, os.getpid()),
            daemon=True)
        process.start()
        return process

    def pump(self, pending):
        for index, process in enumerate(self.processes):
            if not process.is_alive():
                process.join(timeout=0)
                self.processes[index] = self._spawn()
                self.restarts += 1

    def stop(self):
        deadline = time.monotonic() + 10
        for process in self.processes:
            process.join(timeout=max(0.0, deadline - time.monotonic()))
        for process in self.processes:
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
        self.processes = []


def _dask_task(store: Store, campaign: str, options: WorkerOptions) -> int | None:
    try:
        return run_one(store, worker_name("dask"), options, campaign)
    finally:
        store.close()


class DaskExecutor(Executor):
    """Evaluations as tasks on a Dask distributed cluster.

    Each task claims one pending evaluation from the database and runs it, so
    the scheduler only balances load; results travel through the database.

    Args:
        scheduler: the scheduler address (``tcp://host:8786``); None starts a
            ``LocalCluster`` of ``workers`` processes on this machine.
        workers: tasks kept in flight (and local cluster size).
    """

    name = "dask"

    def __init__(self, scheduler: str | None = None, workers: int | None = None):
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise RuntimeError("the dask executor needs Dask distributed: "
                               "pip install 'rnn-cell-evolve[dask]'") from None
        self.scheduler = scheduler
        self.workers = workers
        self.cluster = None
        self.futures: list = []

    def start(self, store, campaign, options):
        from distributed import Client, LocalCluster

        super().start(store, campaign, options)
        if self.scheduler is None:
            size = self.workers or os.cpu_count() or 1
            self.cluster = LocalCluster(n_workers=size, threads_per_worker=1, processes=True,
                                        dashboard_address=None)
            self.client = Client(self.cluster)
        else:
            self.client = Client(self.scheduler)
        self.slots = self.workers or max(1, len(self.client.scheduler_info()["workers"]))

    def pump(self, pending):
        still = []
        for future in self.futures:
            if future.done():
                if future.status == "error":
                    print(f"dask task failed: {future.exception()}", file=sys.stderr)
            else:
                still.append(future)
        self.futures = still
        while len(self.futures) < min(self.slots, pending):
            self.futures.append(self.client.submit(
                _dask_task, self.store, self.campaign, self.options, pure=False))

    def stop(self):
        for future in self.futures:
            future.cancel()
        self.futures = []
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_executor(name: str, workers: int | None = None,
                  scheduler: str | None = None) -> Executor:
    """The executor called ``name`` (inline, local, dask)."""
    if name == "inline":
        return InlineExecutor()
    if name == "local":
        return LocalExecutor(workers)
    if name == "dask":
        return DaskExecutor(scheduler, workers)
    raise ValueError(f"unknown executor {name!r}; the executors are inline, local, dask")
