"""Where evaluations run: in this process, in a local process pool, or on a Dask cluster."""

from __future__ import annotations

import abc
import collections
import contextlib
import multiprocessing
import os
import signal
import sys
import time
import uuid

from evolve.campaign._errors import CampaignError
from evolve.campaign.liveness import serving
from evolve.campaign.worker import (
    WorkerOptions,
    configure_threads,
    run_one,
    worker_loop,
    worker_name,
)
from evolve.store import Store, StoreError, mask_url, resolve_url

__all__ = ["DaskExecutor", "Executor", "InlineExecutor", "LocalExecutor", "in_memory_url",
           "make_executor"]


def in_memory_url(url: str | None) -> bool:
    """Whether ``url`` is an in-memory SQLite database (seen by this process only)."""
    try:
        parsed = resolve_url(url)
    except StoreError:
        return False  # not ours to judge here: opening the store reports it
    if parsed.get_backend_name() != "sqlite":
        return False
    database = parsed.database or ""
    return database in ("", ":memory:") or "mode=memory" in database or (
        parsed.query.get("mode") == "memory")


class Executor(abc.ABC):
    """Runs the campaign's pending evaluations; workers report through the store.

    The life cycle: :meth:`check_url` and :meth:`connect` (both before the
    campaign stores anything, so a command that cannot run leaves nothing
    behind), :meth:`start`, :meth:`pump` while evaluations are open,
    :meth:`stop`.
    """

    name: str

    def check_url(self, url: str | None) -> None:  # noqa: B027 - most executors accept any
        """Raise :class:`CampaignError` if this executor's workers cannot use the database."""

    def connect(self) -> None:  # noqa: B027 - most executors have nothing to reach
        """Reach what the executor needs (a Dask scheduler); raises CampaignError if it cannot."""

    def start(self, store: Store, campaign: str, options: WorkerOptions) -> None:
        self.check_url(store.url)
        self.store = store
        self.campaign = campaign
        self.options = options

    @abc.abstractmethod
    def pump(self, pending: int) -> bool | None:
        """Make progress on ``pending`` waiting evaluations, or look after the workers.

        Returns:
            True when it ran an evaluation itself (the caller need not sleep
            before looking again); False or None otherwise.
        """

    def stop(self) -> None:  # noqa: B027 - most executors have nothing to release
        """Release the workers."""

    @property
    def blocking(self) -> bool:
        """Whether :meth:`pump` does the work itself (it returns True when it did)."""
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
            return False
        if self.protocols is None:
            self.protocols = protocols_of(self.store, self.campaign)
        return run_one(self.store, self.worker, self.options, self.campaign,
                       self.protocols) is not None

    def stop(self):
        # Interrupted in the middle of an evaluation (Ctrl-C): it goes back untried.
        if hasattr(self, "worker"):
            self.store.release([self.worker])

    @property
    def blocking(self):
        return True


def _shared_store_only(executor: Executor, url: str | None) -> None:
    if in_memory_url(url):
        raise CampaignError(
            f"database {mask_url(resolve_url(url))} is in-memory SQLite, which only "
            f"this process can see; the {executor.name} executor's workers run in other "
            f"processes: use a file (--db sqlite:///evolve.db) or --executor inline")


def _local_worker(store: Store, campaign: str, options: WorkerOptions, parent: int,
                  suffix: str) -> None:
    # Ctrl-C reaches the whole process group; the campaign process handles it and the
    # workers stop when it marks the campaign stopped.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    worker_loop(store, campaign, options, parent_pid=parent,
                name=worker_name("worker", suffix))


class LocalExecutor(Executor):
    """A pool of worker processes on this machine, started with ``spawn``.

    Each worker imports TensorFlow itself and is limited to ``threads``
    TensorFlow threads (by default the cores divided among the workers). A
    worker that dies (a crash, the hard time limit) is replaced, but a pool
    whose workers keep dying is an error, not a loop.

    Args:
        workers: worker processes (default: one per core).
        grace: seconds a stopping run lets the workers finish the evaluation
            in hand before it terminates them (what they held goes back to
            pending, untried).
        max_restarts: more replacements than this within ``restart_window``
            seconds raise :class:`CampaignError`.
        restart_window: see ``max_restarts``.
    """

    name = "local"

    def __init__(self, workers: int | None = None, grace: float = 10.0,
                 max_restarts: int = 5, restart_window: float = 60.0):
        self.workers = workers or os.cpu_count() or 1
        self.grace = grace
        self.max_restarts = max_restarts
        self.restart_window = restart_window
        self.processes: list[multiprocessing.Process] = []
        self.names: dict[int, str] = {}  # process id -> worker name
        self.restarts = 0
        self._recent_restarts: collections.deque[float] = collections.deque()

    def check_url(self, url):
        _shared_store_only(self, url)

    def start(self, store, campaign, options):
        if not options.threads:
            cores = os.cpu_count() or 1
            options = WorkerOptions(**{**options.__dict__,
                                       "threads": max(1, cores // self.workers)})
        super().start(store, campaign, options)
        self.context = multiprocessing.get_context("spawn")
        self.suffix = uuid.uuid4().hex[:6]
        for _ in range(self.workers):
            self.processes.append(self._spawn())

    def _spawn(self) -> multiprocessing.Process:
        process = self.context.Process(
            target=_local_worker,
            args=(self.store, self.campaign, self.options, os.getpid(), self.suffix),
            daemon=True)
        process.start()
        self.names[process.pid] = worker_name("worker", self.suffix, pid=process.pid)
        return process

    def pump(self, pending):
        for index, process in enumerate(self.processes):
            if process.is_alive():
                continue
            process.join(timeout=0)
            self._count_restart(process.exitcode)
            self.processes[index] = self._spawn()
            self.restarts += 1
        return None

    def _count_restart(self, exitcode: int | None) -> None:
        now = time.monotonic()
        self._recent_restarts.append(now)
        while self._recent_restarts and now - self._recent_restarts[0] > self.restart_window:
            self._recent_restarts.popleft()
        if len(self._recent_restarts) > self.max_restarts:
            raise CampaignError(
                f"local worker processes keep dying: {len(self._recent_restarts)} restarts in "
                f"{self.restart_window:.0f} s, the last exited with code {exitcode}; run "
                f"`evolve worker --db URL --campaign {self.campaign}` to see why")

    def stop(self):
        deadline = time.monotonic() + self.grace
        for process in self.processes:
            process.join(timeout=max(0.0, deadline - time.monotonic()))
        for process in self.processes:
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join(timeout=5)
        # Only the workers this run stopped: a crashed one's try counts (stale requeue).
        stopped = [self.names[p.pid] for p in self.processes if p.pid in self.names]
        self.processes = []
        self.store.release(stopped)


def _dask_task(store: Store, campaign: str, options: WorkerOptions, name: str) -> int | None:
    # A Dask worker process runs many tasks; TensorFlow takes the thread limit only once.
    configure_threads(options.threads)
    try:
        if not serving(store, campaign):
            return None
        return run_one(store, name, options, campaign)
    finally:
        store.close()


class DaskExecutor(Executor):
    """Evaluations as tasks on a Dask distributed cluster.

    Each task claims one pending evaluation from the database and runs it, so
    the scheduler only balances load; results travel through the database.
    Tasks are named ``dask:HOST:PID:SUFFIX`` after the process that submitted
    them, so a stopped run can give back what its tasks held.

    Args:
        scheduler: the scheduler address (``tcp://host:8786``); None starts a
            ``LocalCluster`` of ``workers`` processes on this machine.
        workers: tasks kept in flight (and local cluster size).
        connect_timeout: seconds to wait for the scheduler.
    """

    name = "dask"

    def __init__(self, scheduler: str | None = None, workers: int | None = None,
                 connect_timeout: float = 10.0):
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise RuntimeError("the dask executor needs Dask distributed: "
                               "pip install 'rnn-cell-evolve[dask]'") from None
        self.scheduler = scheduler
        self.workers = workers
        self.connect_timeout = connect_timeout
        self.cluster = None
        self.client = None
        self.futures: dict = {}  # future -> the worker name its task claims under
        self.submitted = 0

    def check_url(self, url):
        _shared_store_only(self, url)

    def connect(self):
        if self.client is not None:
            return
        from distributed import Client, LocalCluster

        if self.scheduler is None:
            size = self.workers or os.cpu_count() or 1
            self.cluster = LocalCluster(n_workers=size, threads_per_worker=1, processes=True,
                                        dashboard_address=None)
            self.client = Client(self.cluster)
            return
        try:
            self.client = Client(self.scheduler, timeout=self.connect_timeout)
        except (OSError, TimeoutError) as error:
            detail = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise CampaignError(f"cannot reach the Dask scheduler at {self.scheduler} within "
                                f"{self.connect_timeout:g} s: {detail}") from None

    def start(self, store, campaign, options):
        self.connect()
        if not options.threads and self.cluster is not None:
            # Like the local pool: this machine's cores divided among its workers.
            size = self.workers or os.cpu_count() or 1
            options = WorkerOptions(**{**options.__dict__,
                                       "threads": max(1, (os.cpu_count() or 1) // size)})
        super().start(store, campaign, options)
        self.suffix = uuid.uuid4().hex[:6]
        self.slots = self.workers or max(1, len(self.client.scheduler_info()["workers"]))

    def pump(self, pending):
        still = {}
        for future, name in self.futures.items():
            if future.done():
                if future.status == "error":
                    print(f"dask task failed: {future.exception()}", file=sys.stderr)
            else:
                still[future] = name
        self.futures = still
        while len(self.futures) < min(self.slots, pending):
            self.submitted += 1
            name = worker_name("dask", f"{self.suffix}.{self.submitted}")
            self.futures[self.client.submit(
                _dask_task, self.store, self.campaign, self.options, name, pure=False)] = name
        return None

    def stop(self):
        unfinished = [name for future, name in self.futures.items() if not future.done()]
        for future in self.futures:
            future.cancel()
        self.futures = {}
        with contextlib.suppress(Exception):  # closing is best effort; releasing must happen
            if self.client is not None:
                self.client.close()
            if self.cluster is not None:
                self.cluster.close()
        self.client = self.cluster = None
        if hasattr(self, "store"):
            self.store.release(unfinished)


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
