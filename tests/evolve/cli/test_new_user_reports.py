"""What a new user ran into: hints that drop --db, two coordinators, default databases,
tracebacks, unlabelled splits, mixed protocols and echoes of huge arguments."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from evolve.cli import main
from evolve.cli._common import db_option
from evolve.store import NewEvaluation, Store
from genome import parse, seeds
from tests.evolve.campaign.conftest import fake_training  # noqa: F401 - a fixture

SMOKE = ["--preset", "smoke", "--executor", "inline", "--no-progress"]
FAST = ["--preset", "smoke", "--set", "train_steps=2", "--set", "units=8",
        "--set", "valid_sequences=16", "--set", "test_sequences=16"]
# A genome that is no seed, so only a database can know it by its hash.
STORED = parse("h' = tanh(W x + U h + b(2))")


@pytest.fixture(autouse=True)
def _default_database_is_the_default(monkeypatch):
    """$EVOLVE_DB from the caller's shell would change what "the default" is."""
    monkeypatch.delenv("EVOLVE_DB", raising=False)


def _one_line(err: str) -> str:
    assert err.count("\n") == 1, err
    return err


def _url(tmp_path: Path, name: str = "x.db") -> str:
    return f"sqlite:///{tmp_path / name}"


def _campaign(url: str, name: str = "ci", status: str = "running", stats: dict | None = None):
    """A stored smoke campaign in ``status`` with ``stats``, without running anything."""
    from evolve.campaign import Campaign, load_config

    store = Store(url)
    Campaign.create(store, name, load_config("smoke"), preset="smoke")
    store.set_campaign_status(name, status)
    if stats is not None:
        store.update_campaign_stats(name, stats)
    return store


def _beat(at: datetime, every: float = 10.0, **extra) -> dict:
    return {"heartbeat_at": at.isoformat(), "heartbeat_every": every, **extra}


# -- 1. every hint repeats --db ------------------------------------------------------------

def test_db_option_names_a_database_that_is_not_the_default(monkeypatch):
    assert db_option(None) == ""
    assert db_option("sqlite:///evolve.db") == ""
    assert db_option("sqlite:////tmp/x.db") == " --db sqlite:////tmp/x.db"
    assert (db_option("postgresql://me:secret@127.0.0.1/test")
            == " --db 'postgresql://me:***@127.0.0.1/test'")
    monkeypatch.setenv("EVOLVE_DB", "sqlite:////tmp/env.db")  # another shell lacks it
    assert db_option(None) == " --db sqlite:////tmp/env.db"


def test_ctrl_c_hint_repeats_the_database(tmp_path, capsys, monkeypatch):
    from evolve.campaign import Campaign

    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Campaign, "run", interrupted)
    url = _url(tmp_path)
    assert main(["run", "--campaign", "ci", "--db", url, *SMOKE]) == 130
    err = capsys.readouterr().err
    assert f"resume with `evolve run --campaign ci --db {url}`" in err


def test_ctrl_c_while_the_libraries_load_is_a_clean_exit(capsys, monkeypatch):
    import evolve.cli

    def interrupted():  # where the first imports happen, before any command runs
        raise KeyboardInterrupt

    monkeypatch.setattr(evolve.cli, "_parser", interrupted)
    assert main(["status"]) == 130
    assert capsys.readouterr().err == "interrupted\n"


def test_finished_hint_repeats_the_database(tmp_path, capsys, fake_training):  # noqa: F811
    url = _url(tmp_path)
    command = ["run", "--campaign", "ci", "--db", url, *SMOKE]
    assert main(command) == 0
    capsys.readouterr()
    assert main(command) == 0
    captured = capsys.readouterr()
    assert f"continue it with `evolve run --campaign ci --db {url} --budget N`" in captured.err
    assert f"`evolve show HASH --db {url}` for details" in captured.out


def test_status_hint_for_a_lost_coordinator_repeats_the_database(tmp_path, capsys):
    url = _url(tmp_path)
    _campaign(url, "killed", stats=_beat(datetime.now(UTC) - timedelta(hours=1)))
    assert main(["status", "--db", url]) == 0
    out = capsys.readouterr().out
    assert f"`evolve run --campaign killed --db {url}` resumes it" in out


# -- 2. one coordinator per campaign ---------------------------------------------------------

def test_a_second_coordinator_is_refused_while_the_heartbeat_is_fresh(tmp_path, capsys):
    url = _url(tmp_path)
    stats = _beat(datetime.now(UTC) - timedelta(seconds=3),
                  coordinator="coordinator:box7:4242:ab12")
    store = _campaign(url, stats=stats)
    before = store.campaign("ci")
    assert main(["run", "--campaign", "ci", "--db", url, *SMOKE]) == 1
    err = _one_line(capsys.readouterr().err)
    assert "campaign 'ci' is already running (coordinator heartbeat 3 s ago, host box7, " \
           "pid 4242)" in err
    assert f"add workers with `evolve worker --campaign ci --db {url}`" in err
    after = store.campaign("ci")  # nothing stored: not the status, stats or budget
    assert (after.status, after.stats, after.config) == (before.status, before.stats,
                                                         before.config)
    assert store.members("ci") == []


def test_a_running_campaign_with_a_stale_heartbeat_resumes(tmp_path, capsys,
                                                          fake_training):  # noqa: F811
    url = _url(tmp_path)
    store = _campaign(url, stats=_beat(datetime.now(UTC) - timedelta(minutes=30)))
    assert main(["run", "--campaign", "ci", "--db", url, *SMOKE]) == 0
    assert "resuming campaign 'ci'" in capsys.readouterr().err
    assert store.campaign("ci").status.value == "finished"


def test_a_coordinator_of_this_machine_that_is_gone_does_not_block(tmp_path, capsys,
                                                                   fake_training):  # noqa: F811
    """Killed moments ago (its heartbeat still fresh): its pid tells, on its own machine."""
    import os
    import socket
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # reaped: its pid names no process now
    url = _url(tmp_path)
    host = socket.gethostname()
    alive = _beat(datetime.now(UTC), coordinator=f"coordinator:{host}:{os.getpid()}:x")
    store = _campaign(url, stats=alive)
    assert main(["run", "--campaign", "ci", "--db", url, *SMOKE]) == 1
    assert f"host {host}, pid {os.getpid()}" in capsys.readouterr().err
    store.update_campaign_stats("ci", {**alive, "coordinator": f"coordinator:{host}:"
                                                               f"{child.pid}:x"})
    assert main(["run", "--campaign", "ci", "--db", url, *SMOKE]) == 0
    assert "resuming campaign 'ci'" in capsys.readouterr().err


# -- 3. a stored genome's key without --db: the default database ------------------------------

def test_eval_finds_a_stored_hash_in_the_default_database(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Store("sqlite:///evolve.db").add_genomes([STORED])
    assert main(["eval", STORED.hash[:8], "--task", "memorization", *FAST, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["hash"] == STORED.hash


@pytest.mark.parametrize("command", [
    ["eval", "368bbd1b", "--task", "memorization"],
    ["export", "368bbd1b", "--out", "cell.keras"],
])
def test_a_key_without_any_database_says_so_and_creates_none(tmp_path, capsys, monkeypatch,
                                                             command):
    monkeypatch.chdir(tmp_path)
    assert main(command) == 1
    err = _one_line(capsys.readouterr().err)
    assert "'368bbd1b' is neither a seed" in err
    assert "no database at sqlite:///evolve.db" in err and "give --db URL" in err
    assert list(tmp_path.iterdir()) == []  # no database, no .keras file


# -- 4. one line, never a traceback -----------------------------------------------------------

@pytest.mark.parametrize(("extra", "message"), [
    (["--set", "task_params=5"], "--set task_params expects a JSON object"),
    (["--set", "units=" + "[" * 100_000], "--set units: the value nests deeper than 32"),
    (["--set", "units=" + "[" * 900 + "]" * 900], "--set units: the value nests deeper"),
    (["--set", "task.length=3", "--set", "task_params=[1]"], "expects a JSON object"),
    (["--set", "task=memorization"], "give --task TASK"),
])
def test_bad_overrides_are_one_line(capsys, extra, message):
    usage = "task=memorization" in extra  # a flag misused, not a bad value
    assert main(["eval", "gru", "--task", "xml", *extra]) == (2 if usage else 1)
    err = _one_line(capsys.readouterr().err)
    assert err.startswith("evolve eval: ") and message in err and len(err) < 300


def test_task_params_as_an_object_merges_with_task_settings(capsys):
    assert main(["eval", "gru", "--task", "memorization", *FAST, "--set", "task.length=2",
                 "--set", 'task_params={"alphabet": 4}', "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["protocol"]["task_params"] == {
        "length": 2, "alphabet": 4}


def test_a_deeply_nested_protocol_file_is_one_line(tmp_path, capsys):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000)
    assert main(["eval", "gru", "--protocol", str(path)]) == 1
    err = _one_line(capsys.readouterr().err)
    assert f"protocol file {path} nests lists or objects deeper than 32 levels" in err


@pytest.mark.parametrize("flag", ["--units", "--input-dim"])
def test_export_widths_are_bounded(tmp_path, capsys, flag):
    out = tmp_path / "big.keras"
    assert main(["export", "gru", "--out", str(out), flag, "40000"]) == 1
    err = _one_line(capsys.readouterr().err)
    assert f"({flag}) must be an integer from 1 to 8,192, got 40000" in err
    assert not out.exists()


# -- 5. status: the last sign of life, not the start --------------------------------------------

def test_status_updated_follows_the_heartbeat(tmp_path, capsys):
    url = _url(tmp_path)
    store = _campaign(url)
    later = store.campaign("ci").updated_at + timedelta(minutes=5)
    store.update_campaign_stats("ci", _beat(later))  # does not touch updated_at
    assert main(["status", "--db", url, "--json"]) == 0
    [record] = json.loads(capsys.readouterr().out)
    assert record["updated"] == later.isoformat(timespec="seconds")
    assert main(["status", "--db", url]) == 0
    assert later.isoformat(timespec="seconds") in capsys.readouterr().out


# -- 6 and 7. best: reports aside; protocols named -------------------------------------------

def _scored(url: str) -> Store:
    """Campaign "ci" with two scored members, and evaluations under two protocols."""
    store = _campaign(url, status="finished")
    gru, rnn = seeds.get("gru"), seeds.get("rnn")
    store.add_genomes([gru, rnn])
    store.add_members("ci", [(gru.hash, 0, 0, "seed"), (rnn.hash, 0, 1, "seed")])
    store.set_member_scores("ci", {gru.hash: 1.0, rnn.hash: 0.5})
    for genome, protocol, value in ((gru, "a" * 64, 0.9), (rnn, "b" * 64, 0.95)):
        metrics = {"metric": "accuracy", "value": value,
                   "metrics": {"valid_accuracy": value, "test_accuracy": value - 0.5}}
        store.add_evaluations([NewEvaluation(genome.hash, "memorization", protocol, 0,
                                             status="done", score=value, metrics=metrics)])
    return store


def test_best_without_a_campaign_leaves_reports_aside(tmp_path, capsys):
    url = _url(tmp_path)
    store = _scored(url)
    store.create_campaign("seeds-report", {"kind": "report"})
    assert main(["best", "--db", url]) == 0
    assert "campaign ci's combined score" in capsys.readouterr().out
    store.create_campaign("other", {})
    assert main(["best", "--db", url]) == 2  # the command line must say which
    err = capsys.readouterr().err
    assert "the campaigns are: ci, other" in err and "seeds-report" not in err


def test_best_by_task_names_each_protocol_and_says_they_are_mixed(tmp_path, capsys):
    url = _url(tmp_path)
    _scored(url)
    assert main(["best", "--db", url, "--task", "memorization"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:5] == ["rank", "valid", "accuracy", "params",
                                               "protocol"]
    assert "b" * 12 in out.splitlines()[2] and "a" * 12 in out.splitlines()[3]
    assert f"come from 2 protocols ({'a' * 12}, {'b' * 12}" in out
    assert main(["best", "--db", url, "--task", "memorization", "--k", "1", "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["protocol"] == "b" * 64
    assert main(["best", "--db", url, "--task", "memorization", "--k", "1"]) == 0
    assert "protocols" not in capsys.readouterr().out  # one protocol shown: nothing mixed


# -- 8. a worker with nothing to serve says why --------------------------------------------------

@pytest.mark.parametrize(("status", "stats", "message"), [
    ("finished", None, "campaign 'ci' is finished: nothing will be served"),
    ("stopped", None, "campaign 'ci' is stopped: nothing will be served until "
                      "`evolve run --campaign ci --db "),
    ("running", "stale", "campaign 'ci' lost its coordinator (no heartbeat for 30 min)"),
])
def test_worker_on_a_campaign_nobody_runs(tmp_path, capsys, status, stats, message):
    url = _url(tmp_path)
    if stats == "stale":
        stats = _beat(datetime.now(UTC) - timedelta(minutes=30))
    _campaign(url, status=status, stats=stats)
    assert main(["worker", "--db", url, "--campaign", "ci"]) == 1
    err = _one_line(capsys.readouterr().err)
    assert message in err and "ran 0 evaluations" not in err


def test_worker_help_documents_the_exit_status(capsys):
    with pytest.raises(SystemExit):
        main(["worker", "--help"])
    assert "1, serving nothing, when it is not being run" in " ".join(
        capsys.readouterr().out.split())


# -- 9. show names both splits -----------------------------------------------------------------

def test_show_lists_the_valid_and_the_test_value(tmp_path, capsys):
    url = _url(tmp_path)
    _scored(url)
    assert main(["show", "gru", "--db", url]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("task"))
    assert header.split()[:5] == ["task", "status", "metric", "valid", "test"]
    row = next(line for line in out.splitlines() if line.startswith("memorization"))
    assert row.split()[2:5] == ["accuracy", "0.9000", "0.4000"]
    assert main(["show", "gru", "--db", url, "--json"]) == 0
    [evaluation] = json.loads(capsys.readouterr().out)["evaluations"]
    assert (evaluation["value"], evaluation["test"]) == (0.9, pytest.approx(0.4))


# -- 10 and 11. genome files and huge genomes ----------------------------------------------------

def test_a_genome_file_that_is_not_utf8_is_named(tmp_path, capsys):
    path = tmp_path / "cell.txt"
    path.write_bytes(b"h' = tanh(W x + U h + b)\xff\n")
    assert main(["eval", f"@{path}", "--task", "xml"]) == 1
    err = _one_line(capsys.readouterr().err)
    assert f"genome file {path} is not UTF-8 text" in err and "save it as UTF-8" in err


@pytest.mark.parametrize("database", [False, True], ids=["no-database", "database"])
@pytest.mark.parametrize("huge", ["tanh(W x + U h + b)" + " + h" * 3000,  # no '=': no notation
                                  "abcdef" * 2000])
def test_a_huge_argument_is_not_echoed_in_full(tmp_path, capsys, monkeypatch, database, huge):
    monkeypatch.chdir(tmp_path)
    if database:  # the argument is then looked for as a stored key
        Store("sqlite:///evolve.db").add_genomes([STORED])
    commands = [["eval", huge, "--task", "xml"]] + ([["show", huge]] if database else [])
    for command in commands:
        assert main(command) == 1
        err = _one_line(capsys.readouterr().err)
        assert len(err) < 400 and f"… ({len(huge):,} characters)" in err, err[:400]


def test_a_parse_error_in_a_huge_line_shows_a_window_around_the_column(capsys):
    head = "h' = tanh(W x + U h + b)" + " + h" * 1500
    text = head + " + $" + " + h" * 1500
    assert main(["eval", text, "--task", "xml"]) == 1
    first, excerpt, caret = capsys.readouterr().err.rstrip("\n").split("\n")
    column = len(head) + 4
    assert first == (f"evolve eval: genome text: line 1, column {column}: unexpected "
                     f"character '$'")
    assert excerpt.startswith("    …") and excerpt.endswith("…") and len(excerpt) <= 90
    assert excerpt[caret.index("^")] == "$"  # the caret under the offending character


@pytest.mark.parametrize("arguments", [
    ["eval", "gru", "--task", "xml", "--set", "units"],
    ["eval", "gru", "--task", "xml", "--seed", "-5"],
    ["eval", "gru"],
    ["run", "--scheduler", "tcp://127.0.0.1:1"],
])
def test_flags_that_are_wrong_together_exit_2_like_argparse(arguments, tmp_path, capsys):
    # README: exit status 2 is a usage error, whoever notices it.
    assert main([*arguments, "--db", f"sqlite:///{tmp_path / 'a.db'}"]) == 2
    err = _one_line(capsys.readouterr().err)
    assert err.startswith(f"evolve {arguments[0]}: ")
    assert not (tmp_path / "a.db").exists()  # refused before anything was made


def test_show_gives_no_value_for_a_run_that_did_not_finish(tmp_path, capsys):
    url = _url(tmp_path)
    store = _scored(url)
    gru = seeds.get("gru")
    store.add_evaluations([NewEvaluation(
        gru.hash, "arithmetic", "c" * 64, 0, status="diverged", score=0.0,
        metrics={"metric": "accuracy", "value": 0.0}, error="loss became nan at step 5")])
    assert main(["show", gru.hash[:12], "--db", url]) == 0
    [row] = [line for line in capsys.readouterr().out.splitlines() if "diverged" in line]
    assert "0.0000" not in row and " - " in row and "loss became nan" in row
