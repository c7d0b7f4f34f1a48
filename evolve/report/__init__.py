"""Reports: every seed cell on every task (table, plots, literature checks), and campaigns.

Example:
    >>> from evolve.store import Store
    >>> plan = ReportPlan(preset="smoke", cells=("gru", "rnn"), tasks=("memorization",))
    >>> run = run_report(Store("sqlite:///report.db"), plan)       # resumable
    >>> paths = write_seed_report(run.results, Path("results"))
"""

from evolve.report.campaign_report import (
    CampaignReport,
    compare_names,
    gather_campaign,
    write_campaign_report,
)
from evolve.report.checks import (
    forget_bias_check,
    greff_check,
    mutant_check,
    ptb_small_check,
)
from evolve.report.plan import ReportError, ReportPlan
from evolve.report.results import CellTask, ReportResults, collect
from evolve.report.run import (
    REPORT_KIND,
    ReportProgress,
    ReportRun,
    check_report_data,
    prepare_report,
    run_report,
    stored_report,
)
from evolve.report.seed_report import format_value, seed_table, write_seed_report

__all__ = [
    "REPORT_KIND",
    "CampaignReport",
    "CellTask",
    "ReportError",
    "ReportPlan",
    "ReportProgress",
    "ReportResults",
    "ReportRun",
    "check_report_data",
    "collect",
    "compare_names",
    "forget_bias_check",
    "format_value",
    "gather_campaign",
    "greff_check",
    "mutant_check",
    "prepare_report",
    "ptb_small_check",
    "run_report",
    "seed_table",
    "stored_report",
    "write_campaign_report",
    "write_seed_report",
]
