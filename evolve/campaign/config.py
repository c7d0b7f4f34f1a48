"""Campaign configuration: presets, TOML files, validation with clear messages."""

from __future__ import annotations

import dataclasses
import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evolve.evaluation import PRESETS as PROTOCOL_PRESETS
from evolve.evaluation import EvaluationProtocol, ProtocolError, preset_protocol
from evolve.operators import DEFAULT_WEIGHTS
from evolve.search import STRATEGIES, SearchSettings
from genome import Limits, seeds

__all__ = ["PRESETS", "CampaignConfig", "ConfigError", "TaskSpec", "load_config"]


class ConfigError(ValueError):
    """A configuration key with a bad value, named with what is allowed."""


@dataclass(frozen=True)
class TaskSpec:
    """One task of a campaign.

    Attributes:
        task: the task name.
        preset: the protocol preset it starts from.
        overrides: protocol fields changed from the preset (``task_params`` too).
        screen: a screening task is run first; only candidates whose score
            ratio on it reaches ``threshold`` go on to the other tasks.
        threshold: the screen's pass mark, as a ratio to the reference cell.
        weight: weight in a weighted combination.
    """

    task: str
    preset: str = "quick"
    overrides: dict[str, Any] = field(default_factory=dict)
    screen: bool = False
    threshold: float = 0.0
    weight: float = 1.0

    def protocol(self) -> EvaluationProtocol:
        return preset_protocol(self.task, self.preset, **dict(self.overrides))


@dataclass(frozen=True)
class CampaignConfig:
    """Everything that defines a campaign (stored with it, so a resume uses the same).

    Attributes:
        strategy: ``jozefowicz``, ``regularized``, ``nsga2`` or ``random``.
        search: population, tournament and list sizes for the strategy.
        tasks: the tasks, screening tasks first.
        reference: the seed cell every score is relative to (GRU, as in the paper).
        combine: ``min`` (the paper: the worst ratio over tasks) or ``weighted``.
        initial: the starting population: ``"seeds"`` (all seeds), a list of
            seed names, or ``"random"`` (``batch`` random genomes).
        budget: candidate genomes to evaluate (the initial population included).
        batch: candidates per generation. Results do not depend on the number
            of workers because a generation is scored only once complete.
        training_seeds: how many training seeds each candidate (and the
            reference) is trained with; ratios are averaged over them.
        limits: size limits of every candidate.
        operator_weights: how often each operator is used.
        stale_after: seconds without heartbeat after which a running
            evaluation is taken back from its (dead) worker.
        max_attempts: tries of an evaluation whose worker keeps dying.
    """

    strategy: str = "jozefowicz"
    search: SearchSettings = field(default_factory=SearchSettings)
    tasks: tuple[TaskSpec, ...] = (TaskSpec("memorization"),)
    reference: str = "gru"
    combine: str = "min"
    initial: Any = "seeds"
    budget: int = 60
    batch: int = 8
    training_seeds: int = 1
    limits: Limits = field(default_factory=lambda: Limits(max_height=8, max_slot_size=40,
                                                          max_slots=8, max_states=3))
    operator_weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    stale_after: float = 60.0
    max_attempts: int = 3

    def __post_init__(self) -> None:
        object.__setattr__(self, "tasks", tuple(self.tasks))
        self.validate()

    def validate(self) -> None:
        # Each type is checked before it is used: a TypeError from deep inside would
        # name neither the key nor what is allowed.
        if not isinstance(self.strategy, str) or self.strategy not in STRATEGIES:
            raise ConfigError(f"strategy {self.strategy!r} unknown; the strategies are "
                              f"{', '.join(STRATEGIES)}")
        if not self.tasks:
            raise ConfigError("tasks: a campaign needs at least one task")
        names = [t.task for t in self.tasks]
        if len(set(names)) != len(names):
            raise ConfigError(f"tasks: each task may appear once, got {names}")
        for spec in self.tasks:
            where = f"tasks.{spec.task}"
            if not isinstance(spec.preset, str) or spec.preset not in PROTOCOL_PRESETS:
                raise ConfigError(f"{where}.preset must be one of {', '.join(PROTOCOL_PRESETS)}, "
                                  f"got {_got(spec.preset)}")
            _check_overrides(spec.overrides, f"{where}.overrides")
            if not isinstance(spec.screen, bool):
                raise ConfigError(f"{where}.screen must be true or false, got {spec.screen!r}")
            for name in ("threshold", "weight"):
                value = getattr(spec, name)
                if not _number(value) or value < 0:
                    raise ConfigError(f"{where}.{name} must be a number >= 0, got {value!r}")
            try:
                spec.protocol()
            except (ProtocolError, TypeError) as error:
                raise ConfigError(f"{where}: {error}") from None
        if self.reference not in seeds.names():
            raise ConfigError(f"reference {self.reference!r} is not a seed; the seeds are "
                              f"{', '.join(seeds.names())}")
        if self.combine not in ("min", "weighted"):
            raise ConfigError(f"combine must be 'min' or 'weighted', got {self.combine!r}")
        _check_initial(self.initial)
        _integers(self, "", {"budget": (1, 10**7), "batch": (1, 10**5),
                             "training_seeds": (1, 100), "max_attempts": (1, 100)})
        if not _number(self.stale_after) or self.stale_after <= 0:
            raise ConfigError(f"stale_after must be positive seconds, got {self.stale_after!r}")
        _integers(self.limits, "limits.", {"max_height": (1, 64), "max_slot_size": (1, 10_000),
                                           "max_slots": (1, 64), "max_states": (1, 64)})
        _check_operator_weights(self.operator_weights)
        _integers(self.search, "search.", {
            "population": (2, 10**6), "tournament": (1, 10**6), "top": (1, 10**6),
            "random_height": (0, 8), "random_intermediates": (0, 8), "random_states": (0, 8)})
        rate = self.search.crossover_rate
        if not _number(rate) or not 0 <= rate <= 1:
            raise ConfigError(f"search.crossover_rate must be between 0 and 1, got {rate!r}")

    # -- derived values --------------------------------------------------------------------

    def protocols(self) -> dict[str, EvaluationProtocol]:
        """The protocol of every task, by task name."""
        return {spec.task: spec.protocol() for spec in self.tasks}

    @property
    def allow_square_input(self) -> bool:
        """Candidates may read x as hidden only if every task embeds to the unit width."""
        return all(p.embedding_width == p.units for p in self.protocols().values())

    def initial_seeds(self) -> list[str]:
        if self.initial == "seeds":
            names = seeds.names()
        elif self.initial == "random":
            names = []
        else:
            names = list(self.initial)
        if not self.allow_square_input:
            names = [n for n in names if not seeds.get(n).needs_square_input]
        return names

    def training_seed_values(self, campaign_seed: int) -> list[int]:
        """The training seeds, derived from the campaign seed (the same for every candidate)."""
        values = []
        for index in range(self.training_seeds):
            digest = hashlib.sha256(f"{campaign_seed}:train:{index}".encode()).digest()
            values.append(int.from_bytes(digest[:4], "little") % (2**31))
        return values

    # -- (de)serialisation -----------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["tasks"] = [dataclasses.asdict(t) for t in self.tasks]
        data["initial"] = self.initial if isinstance(self.initial, str) else list(self.initial)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CampaignConfig:
        data = dict(data)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown campaign key(s) {', '.join(unknown)}; the keys are "
                              f"{', '.join(sorted(known))}")
        try:
            if "search" in data:
                data["search"] = _build(SearchSettings, data["search"], "search")
            if "limits" in data:
                data["limits"] = _build(Limits, data["limits"], "limits")
            if "tasks" in data:
                data["tasks"] = _build_tasks(data["tasks"])
            return cls(**data)
        except TypeError as error:  # a last resort: the checks above should say it better
            raise ConfigError(f"campaign configuration: {error}") from None

    def replace(self, **changes: Any) -> CampaignConfig:
        return CampaignConfig.from_dict({**self.to_dict(), **changes})


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _integers(holder: Any, prefix: str, bounds: dict[str, tuple[int, int]]) -> None:
    for name, (low, high) in bounds.items():
        value = getattr(holder, name)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise ConfigError(f"{prefix}{name} must be an integer from {low} to {high:,}, "
                              f"got {value!r}")


def _got(value: Any) -> str:
    """What a key was given, with its TOML type: ``5 (an integer)``."""
    kinds = {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
             list: "an array", tuple: "an array", dict: "a table"}
    kind = kinds.get(type(value), type(value).__name__)
    return f"{value!r} ({kind})"


def _check_initial(initial: Any) -> None:
    allowed = "'seeds', 'random' or a non-empty list of seed names"
    if isinstance(initial, str):
        if initial not in ("seeds", "random"):
            raise ConfigError(f"initial must be {allowed}, got {initial!r}")
        return
    if not isinstance(initial, list | tuple):
        raise ConfigError(f"initial must be {allowed}, got {_got(initial)}")
    if not initial:
        raise ConfigError(f"initial must be {allowed}, got an empty list; the seeds are "
                          f"{', '.join(seeds.names())}")
    unknown = [n for n in initial if not isinstance(n, str) or n not in seeds.names()]
    if unknown:
        raise ConfigError(f"initial: unknown seed(s) {unknown}; the seeds are "
                          f"{', '.join(seeds.names())}")


def _check_operator_weights(weights: Any) -> None:
    if not isinstance(weights, dict):
        raise ConfigError(f"operator_weights must be a table of operator names and weights "
                          f"(e.g. {{ crossover = 0.5 }}), got {_got(weights)}; the operators "
                          f"are {', '.join(DEFAULT_WEIGHTS)}")
    unknown = sorted(set(weights) - set(DEFAULT_WEIGHTS))
    if unknown:
        raise ConfigError(f"operator_weights: unknown operator(s) {', '.join(unknown)}; "
                          f"the operators are {', '.join(DEFAULT_WEIGHTS)}")
    for name, weight in weights.items():
        if not _number(weight) or weight < 0:
            raise ConfigError(f"operator_weights.{name} must be a number >= 0, got "
                              f"{_got(weight)}")


def _check_overrides(overrides: Any, where: str) -> None:
    if not isinstance(overrides, dict):
        raise ConfigError(f"{where} must be a table of protocol fields (e.g. "
                          f"{{ units = 64 }}), got {_got(overrides)}")
    # The protocol's own check would see these only after preset_protocol had
    # failed on them with a TypeError that names no key.
    if "task" in overrides:
        raise ConfigError(f"{where}.task: the task cannot be overridden; it is the name of its "
                          f"table, [tasks.NAME]")
    if "preset" in overrides:
        task = where.removesuffix(".overrides")
        raise ConfigError(f"{where}.preset: not a protocol field; set {task}.preset instead")
    params = overrides.get("task_params", {})
    if not isinstance(params, dict):
        raise ConfigError(f"{where}.task_params must be a table of task parameters (e.g. "
                          f"{{ length = 64 }}), got {_got(params)}")


def _build_tasks(tasks: Any) -> tuple[TaskSpec, ...]:
    """The task specs, each named in errors as the file writes it."""
    if isinstance(tasks, dict):  # TOML tables: [tasks.memorization]
        specs = []
        for name, spec in tasks.items():
            where = f"tasks.{name}"
            spec = {} if spec is None else spec  # {"xml": None} from Python: all defaults
            if not isinstance(spec, dict):
                raise ConfigError(f"{where} must be a table of task keys ([{where}] with "
                                  f"preset, screen, ...), got {_got(spec)}")
            if "task" in spec and spec["task"] != name:
                # The table's name is the task: a second name would silently win.
                raise ConfigError(f"{where}.task: a [tasks.NAME] table is the task NAME, got "
                                  f"task = {spec['task']!r}; leave task out")
            specs.append(_build(TaskSpec, {**spec, "task": name}, where, named_by_table=True))
        return tuple(specs)
    if isinstance(tasks, list | tuple):  # [[tasks]] arrays, or Python
        specs = []
        for index, spec in enumerate(tasks):
            where = f"tasks[{index}]"
            if isinstance(spec, dict) and "task" not in spec:
                raise ConfigError(f"{where}: missing key task (the task's name)")
            specs.append(_build(TaskSpec, spec, where))
        return tuple(specs)
    raise ConfigError(f"tasks must be tables [tasks.NAME] (or an array of tables with a task "
                      f"key), got {_got(tasks)}")


def _build(cls, value: Any, where: str, named_by_table: bool = False):
    """``cls(**value)``, with an unknown key named in full (``tasks.xml.foo``).

    ``named_by_table``: a ``[tasks.NAME]`` table, whose ``task`` key is put in
    from the table's name, so it is not listed as a key to write.
    """
    if isinstance(value, cls):
        return value
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a table of keys, got {_got(value)}")
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(value) - known)
    if unknown:
        listed = sorted(known - {"task"}) if named_by_table else sorted(known)
        keys = ", ".join(f"{where}.{key}" for key in unknown)
        raise ConfigError(f"unknown key(s) {keys}; the keys of {where} are {', '.join(listed)}")
    return cls(**value)


#: Named configurations: ``smoke`` for tests, ``quick`` (the default, synthetic tasks,
#: about 10 minutes on 2 cores), ``ptb`` (memorization screen + Penn Treebank characters).
PRESETS: dict[str, dict[str, Any]] = {
    "smoke": {
        "strategy": "regularized",
        "search": {"population": 4, "tournament": 2, "top": 4},
        "tasks": [{"task": "memorization", "preset": "smoke"}],
        "initial": ["rnn", "gru", "mgu", "mingru"],
        "budget": 8,
        "batch": 4,
    },
    "quick": {
        "strategy": "jozefowicz",
        "search": {"population": 12, "tournament": 4, "top": 10},
        "tasks": [
            {"task": "memorization", "preset": "quick", "screen": True, "threshold": 0.5},
            {"task": "arithmetic", "preset": "quick"},
            {"task": "xml", "preset": "quick"},
        ],
        "initial": ["rnn", "gru", "lstm", "lstm_b", "np", "cifg", "mut1", "mut2", "mut3",
                    "mgu", "ugrnn", "mingru"],
        "budget": 100,
        "batch": 8,
    },
    "ptb": {
        "strategy": "jozefowicz",
        "search": {"population": 12, "tournament": 4, "top": 8},
        "tasks": [
            {"task": "memorization", "preset": "quick", "screen": True, "threshold": 0.5},
            {"task": "ptb-char", "preset": "ptb"},
        ],
        "initial": ["rnn", "gru", "lstm", "lstm_b", "mut1", "mgu", "mingru"],
        "budget": 24,
        "batch": 6,
    },
}


def load_config(preset: str | None = None, path: str | Path | None = None,
                **changes: Any) -> CampaignConfig:
    """A preset, overlaid with a TOML file's keys, overlaid with ``changes``.

    Raises:
        ConfigError: naming the file, key and problem.
    """
    if preset is not None and preset not in PRESETS:
        raise ConfigError(f"unknown preset {preset!r}; the presets are {', '.join(PRESETS)}")
    data: dict[str, Any] = dict(PRESETS[preset or "quick"])
    if path is not None:
        path = Path(path)
        try:
            with path.open("rb") as handle:
                data.update(tomllib.load(handle))
        except OSError as error:
            raise ConfigError(f"cannot read config {path}: {error.strerror}") from None
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{path} is not valid TOML: {error}") from None
        except RecursionError:
            raise ConfigError(f"{path}: arrays or tables nested too deeply to be a campaign "
                              f"configuration") from None
        except UnicodeDecodeError as error:
            # TOML is UTF-8 by definition; tomllib says so without naming the file.
            line = error.object[:error.start].count(b"\n") + 1
            raise ConfigError(f"{path} is not valid TOML: line {line}: byte "
                              f"{error.object[error.start]:#04x} is not UTF-8 (a TOML file "
                              f"must be UTF-8 text)") from None
    data.update({k: v for k, v in changes.items() if v is not None})
    try:
        return CampaignConfig.from_dict(data)
    except ConfigError as error:
        where = f"{path}: " if path is not None else ""
        raise ConfigError(f"{where}{error}") from None


def own_evaluations(stored: dict, campaign_seed: int | None) -> dict[str, list]:
    """Which evaluations are a stored campaign's own: its protocols and training seeds.

    Other campaigns and reports may evaluate the same genomes under the same protocol
    with other seeds; counting those would make a finished campaign's numbers move.

    Args:
        stored: the campaign record's config (``protocols`` and ``campaign`` entries).
        campaign_seed: the campaign's seed.

    Returns:
        Keyword arguments for :meth:`evolve.store.Store.evaluation_counts`: ``protocols``
        and, where the stored configuration says, ``seeds``.
    """
    scope: dict[str, list] = {"protocols": [
        EvaluationProtocol.from_dict(p).hash for p in stored.get("protocols", {}).values()]}
    seeds = stored_training_seeds(stored, campaign_seed)
    if seeds is not None:
        scope["seeds"] = seeds
    return scope


def stored_training_seeds(stored: dict, campaign_seed: int | None) -> list[int] | None:
    """A stored campaign's training seeds, from its config and seed (None: not recorded)."""
    if "campaign" not in stored or campaign_seed is None:
        return None
    return CampaignConfig.from_dict(stored["campaign"]).training_seed_values(campaign_seed)


def failures_phrase(total: int, kinds: dict[str, int]) -> str:
    """``"4 failures (diverged 3, timeout 1)"``: the total, then each kind that occurred.

    "failed" is one of the kinds as well as the name of the whole: the total is
    every candidate evaluation that got no score.
    """
    detail = ", ".join(f"{kind} {n}" for kind, n in kinds.items() if n)
    return f"{total} failures" + (f" ({detail})" if detail else "")
