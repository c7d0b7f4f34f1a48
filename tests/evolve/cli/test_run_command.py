"""evolve run: failed commands store nothing, resuming by preset or config, in-memory databases."""

import json
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from evolve.cli import main
from evolve.store import Store
from tests.evolve.campaign.conftest import fake_training  # noqa: F401 - a fixture

REPO = Path(__file__).resolve().parents[3]
SMALL = 'budget = 4\nbatch = 2\ninitial = ["rnn", "gru", "mingru"]\n'


def campaign_names(db: Path) -> list[str]:
    return [c.name for c in Store(f"sqlite:///{db}").campaigns()]


@pytest.mark.parametrize(("config", "arguments", "message"), [
    ("populaton = 3\n", [], "unknown campaign key(s) populaton"),
    ("budget = [\n", [], "is not valid TOML"),
    (None, ["--config", "/nonexistent/campaign.toml"], "cannot read config"),
    (None, ["--strategy", "annealing"], "strategy 'annealing' unknown"),
])
def test_a_bad_configuration_creates_no_database(tmp_path, capsys, config, arguments, message):
    db = tmp_path / "new.db"
    if config is not None:
        (tmp_path / "bad.toml").write_text(config)
        arguments = ["--config", str(tmp_path / "bad.toml"), *arguments]
    assert main(["run", "--db", f"sqlite:///{db}", "--no-progress", *arguments]) == 1
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not db.exists()


@pytest.fixture
def other_campaign_db(tmp_path):
    """A database that already holds another campaign (so it exists either way)."""
    db = tmp_path / "shared.db"
    store = Store(f"sqlite:///{db}")
    store.create_campaign("other", {})
    store.close()
    return db


@pytest.mark.parametrize("fresh", [True, False], ids=["new-database", "existing-database"])
@pytest.mark.parametrize(("arguments", "message"), [
    (["--preset", "ptb", "--data-dir", "/nonexistent/ptb"], "Penn Treebank"),
    (["--executor", "dask", "--scheduler", "tcp://127.0.0.1:1"],
     "cannot reach the Dask scheduler at tcp://127.0.0.1:1"),
])
def test_what_cannot_run_is_found_before_the_campaign_is_stored(
        tmp_path, other_campaign_db, capsys, monkeypatch, fresh, arguments, message):
    if "dask" in arguments:
        pytest.importorskip("distributed", reason="the [dask] extra is not installed")
        from evolve.campaign import DaskExecutor

        original = DaskExecutor.__init__
        monkeypatch.setattr(DaskExecutor, "__init__", lambda self, *a, **k: original(
            self, *a, **{**k, "connect_timeout": 1.0}))
    db = tmp_path / "new.db" if fresh else other_campaign_db
    assert main(["run", "--db", f"sqlite:///{db}", "--campaign", "x", "--no-progress",
                 *arguments]) == 1
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    if fresh:
        assert not db.exists()
    else:
        assert campaign_names(db) == ["other"]


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_database_is_refused_for_worker_processes(url, capsys):
    assert main(["run", "--db", url, "--preset", "smoke", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "in-memory SQLite" in err and "--executor inline" in err
    assert len(err.strip().splitlines()) == 1


def test_repeating_a_preset_run_resumes_it(tmp_path, capsys, fake_training):  # noqa: F811
    url = f"sqlite:///{tmp_path / 'p.db'}"
    command = ["run", "--preset", "smoke", "--db", url, "--executor", "inline", "--no-progress"]
    assert main(command) == 0
    assert Store(url).campaign("smoke").config["preset"] == "smoke"
    capsys.readouterr()
    assert main(command) == 0  # the same preset again: the same campaign, finished
    assert "campaign 'smoke' is finished (8/8 candidates)" in capsys.readouterr().err
    assert main([*command, "--budget", "10"]) == 0
    assert "resuming campaign 'smoke' (8/10" in capsys.readouterr().err
    assert len(Store(url).members("smoke")) == 10
    # Another preset under the same name would be another campaign.
    assert main(["run", "--preset", "quick", "--campaign", "smoke", "--db", url]) == 1
    err = capsys.readouterr().err
    assert "--preset (different " in err and "cannot change it" in err


def test_a_config_file_that_gives_the_stored_configuration_is_accepted(
        tmp_path, capsys, fake_training):  # noqa: F811
    url = f"sqlite:///{tmp_path / 'c.db'}"
    first = tmp_path / "first.toml"
    first.write_text(SMALL)
    base = ["run", "--campaign", "c", "--db", url, "--executor", "inline", "--no-progress"]
    assert main([*base, "--preset", "smoke", "--config", str(first)]) == 0
    # The stored preset is the base again when --preset is left out.
    again = tmp_path / "again.toml"
    again.write_text("# the same keys, written again\n" + SMALL)
    capsys.readouterr()
    assert main([*base, "--config", str(again)]) == 0
    assert "is finished (4/4 candidates)" in capsys.readouterr().err
    other = tmp_path / "other.toml"
    other.write_text(SMALL.replace("batch = 2", "batch = 3") + 'strategy = "random"\n')
    assert main([*base, "--config", str(other)]) == 1
    err = capsys.readouterr().err
    assert "--config (different batch, strategy) cannot change it" in err
    assert len(Store(url).members("c")) == 4


def test_broken_pipe_is_quiet(tmp_path):
    """`evolve seeds | head -1`: the reader leaves early; no message, exit 0."""
    process = subprocess.Popen([sys.executable, "-m", "evolve.cli", "seeds"], cwd=REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # before the command has written anything
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err.decode()[-2000:]
    assert err.decode() == ""


def test_broken_pipe_inside_a_command(monkeypatch, capsys):
    class ClosedPipe:
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            pass

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert main(["seeds"]) == 0
    assert "Broken pipe" not in capsys.readouterr().err


def test_status_shows_a_campaign_whose_coordinator_stopped_beating(tmp_path, capsys,
                                                                    monkeypatch):
    from evolve.campaign import liveness
    from evolve.campaign.liveness import heartbeat_stats

    url = f"sqlite:///{tmp_path / 's.db'}"
    store = Store(url)
    store.create_campaign("killed", {"campaign": {"strategy": "random", "budget": 4}})
    store.set_campaign_status("killed", "running")
    store.update_campaign_stats("killed", heartbeat_stats(10.0))
    assert main(["status", "--db", url, "--json"]) == 0
    [record] = json.loads(capsys.readouterr().out)
    assert record["status"] == "running" and record["stale"] is False

    beat = liveness._now()
    monkeypatch.setattr(liveness, "_now", lambda: beat + timedelta(minutes=7, seconds=5))
    assert main(["status", "--db", url]) == 0
    out = capsys.readouterr().out
    assert "running (no heartbeat for 7 min)" in out and "resumes it" in out
    assert main(["status", "--db", url, "--json"]) == 0
    [record] = json.loads(capsys.readouterr().out)
    assert record["stale"] is True and record["silent_seconds"] == 7 * 60 + 5

    # A worker serving "any running campaign" does not wait on it: nothing to serve.
    outcome = []
    worker = threading.Thread(target=lambda: outcome.append(main(["worker", "--db", url])),
                              daemon=True)
    worker.start()
    worker.join(30)
    assert outcome == [1]
    assert "no campaign is running in " in capsys.readouterr().err
