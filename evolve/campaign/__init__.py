"""The evolution campaign: generations, stages, workers, executors, resume."""

from evolve.campaign.config import (
    PRESETS,
    CampaignConfig,
    ConfigError,
    TaskSpec,
    load_config,
    own_evaluations,
)
from evolve.campaign.executors import (
    DaskExecutor,
    Executor,
    InlineExecutor,
    LocalExecutor,
    make_executor,
)
from evolve.campaign.liveness import coordinator_silence, is_serving
from evolve.campaign.progress import Progress
from evolve.campaign.runner import Campaign, CampaignError, CampaignSummary, check_data
from evolve.campaign.worker import WorkerOptions, run_one, worker_loop

__all__ = [
    "PRESETS",
    "Campaign",
    "CampaignConfig",
    "CampaignError",
    "CampaignSummary",
    "ConfigError",
    "DaskExecutor",
    "Executor",
    "InlineExecutor",
    "LocalExecutor",
    "Progress",
    "TaskSpec",
    "WorkerOptions",
    "check_data",
    "coordinator_silence",
    "is_serving",
    "load_config",
    "make_executor",
    "own_evaluations",
    "run_one",
    "worker_loop",
]
