"""evolve run / status / best / show / export / worker, on one tiny campaign."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from evolve.cli import main
from evolve.store import Store
from genome import seeds

REPO = Path(__file__).resolve().parents[3]
TINY_TOML = (
    'strategy = "regularized"\nbudget = 5\nbatch = 2\ninitial = ["rnn", "gru", "mingru"]\n'
    "[search]\npopulation = 3\ntournament = 2\ntop = 3\n"
    '[tasks.memorization]\npreset = "smoke"\n'
    "overrides = { train_steps = 10, units = 8, valid_sequences = 32, test_sequences = 32 }\n")


@pytest.fixture(scope="module")
def campaign_db(tmp_path_factory):
    directory = tmp_path_factory.mktemp("cli")
    (directory / "tiny.toml").write_text(TINY_TOML)
    url = f"sqlite:///{directory / 'evolve.db'}"
    code = main(["run", "--config", str(directory / "tiny.toml"), "--campaign", "tiny",
                 "--db", url, "--executor", "inline", "--no-progress", "--json"])
    assert code == 0
    return url, directory


def test_run_prints_a_summary(campaign_db, capsys):
    url, _ = campaign_db
    assert main(["run", "--campaign", "tiny", "--db", url, "--json"]) == 0
    captured = capsys.readouterr()
    assert "is finished (5/5 candidates)" in captured.err
    summary = json.loads(captured.out)
    assert summary["candidates"] == 5 and summary["status"] == "finished"
    assert summary["best"][0]["score"] >= summary["best"][-1]["score"]


def test_resume_refuses_to_change_the_stored_configuration(campaign_db, capsys):
    url, _ = campaign_db
    assert main(["run", "--campaign", "tiny", "--db", url, "--strategy", "random"]) == 1
    err = capsys.readouterr().err
    assert "--strategy cannot change it" in err
    assert f"Resume with `evolve run --campaign tiny --db {url}`" in err


def test_status(campaign_db, capsys):
    url, _ = campaign_db
    assert main(["status", "--db", url]) == 0
    out = capsys.readouterr().out
    assert "tiny" in out and "finished" in out and "5/5" in out
    assert main(["status", "--db", url, "--json"]) == 0
    [record] = json.loads(capsys.readouterr().out)
    evaluations = record["evaluations"]
    # One memorization evaluation per candidate (the reference gru is one of them), all
    # finished: nothing pending, nothing left running, none lost.
    assert evaluations["pending"] == evaluations["running"] == 0
    assert sum(evaluations.values()) == 5
    final = Store(url).evaluation_counts(campaign="tiny")
    assert evaluations == {status.value: n for status, n in final.items()}
    assert record["candidates"] == 5 and record["stale"] is False
    assert record["best"] == max(m.score for m in Store(url).members("tiny"))


def test_best_by_campaign_and_by_task(campaign_db, capsys):
    url, _ = campaign_db
    assert main(["best", "--db", url, "--campaign", "tiny", "--k", "3", "--json"]) == 0
    ranked = json.loads(capsys.readouterr().out)
    assert [r["rank"] for r in ranked] == [1, 2, 3]
    assert ranked[0]["score"] >= ranked[1]["score"] >= ranked[2]["score"]
    # Parameters at the campaign's protocol: memorization, 8 units (TOML), its embedding.
    from evolve.campaign import Campaign

    protocol = Campaign.open(Store(url), "tiny").protocols["memorization"]
    assert protocol.units == 8
    for row in ranked:
        genome = Store(url).genome(row["hash"]).genome
        assert row["params"] == genome.param_count(protocol.embedding_width, 8) > 0
    assert main(["best", "--db", url, "--campaign", "tiny", "--k", "1"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:3] == ["rank", "score", "params"]
    assert f" {ranked[0]['params']} " in out.splitlines()[2]
    assert main(["best", "--db", url, "--task", "memorization", "--k", "2"]) == 0
    out = capsys.readouterr().out
    assert "accuracy" in out and "h' =" in out


def test_show_a_seed_and_a_child(campaign_db, capsys):
    url, _ = campaign_db
    gru = seeds.get("gru").hash
    assert main(["show", gru[:10], "--db", url]) == 0
    out = capsys.readouterr().out
    assert "h' = z * h + (1 - z) * tanh(W x + U(r * h) + b)" in out
    assert "\\begin{aligned}" in out and "memorization" in out
    child = next(m for m in Store(url).members("tiny") if m.generation > 0)
    assert main(["show", child.genome_hash, "--db", url, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["parents"] and data["parents"][0]["campaign"] == "tiny"
    assert main(["show", "ffff", "--db", url]) == 1
    assert "ffff" in capsys.readouterr().err


def test_export_loads_in_keras(campaign_db, tmp_path, capsys):
    url, _ = campaign_db
    best = Store(url).best(campaign="tiny", k=1)[0]
    out = tmp_path / "best.keras"
    assert main(["export", best.hash[:12], "--db", url, "--out", str(out), "--units", "8",
                 "--input-dim", "3"]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {out}: untrained")  # the result
    script = ("import numpy as np, keras, cells\n"
              f"m = keras.saving.load_model({str(out)!r})\n"
              "print(m(np.ones((2, 4, 3), 'float32')).shape)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "(2, 4, 8)" in done.stdout
    assert main(["export", "gru", "--out", str(tmp_path / "x.h5")]) == 1
    assert "must end in .keras" in capsys.readouterr().err


def test_export_trained_on_a_task(campaign_db, tmp_path, capsys):
    url, _ = campaign_db
    out = tmp_path / "trained.keras"
    assert main(["export", "mingru", "--db", url, "--out", str(out), "--train",
                 "memorization", "--campaign", "tiny"]) == 0
    result = capsys.readouterr().out  # the result line, on stdout
    assert "trained on memorization" in result and out.exists()
    # Both splits, named (`evolve show` lists the validation value).
    assert "; valid accuracy " in result and ", test accuracy " in result


def test_worker_serves_a_running_campaign(tmp_path):
    """A standalone `evolve worker` does a campaign's evaluations."""
    from evolve.campaign import Campaign, load_config
    from evolve.store import NewEvaluation

    url = f"sqlite:///{tmp_path / 'w.db'}"
    store = Store(url)
    config = load_config("smoke")
    Campaign.create(store, "served", config)
    store.add_genomes([seeds.get("rnn")])
    protocol = config.protocols()["memorization"]
    store.add_evaluations([NewEvaluation(seeds.get("rnn").hash, "memorization",
                                         protocol.hash, 0)], campaign="served")
    store.set_campaign_status("served", "running")
    worker = subprocess.Popen([sys.executable, "-m", "evolve.cli", "worker", "--db", url,
                               "--campaign", "served"], cwd=REPO, stderr=subprocess.PIPE,
                              text=True)
    import time

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        [evaluation] = store.evaluations(seeds.get("rnn").hash)
        if evaluation.status.final:
            break
        time.sleep(0.5)
    store.set_campaign_status("served", "stopped")
    _, err = worker.communicate(timeout=60)
    assert evaluation.status.value == "done"
    assert evaluation.worker.startswith("worker:")
    assert "ran 1 evaluations" in err


def test_missing_database_directory_is_a_clear_error(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}"
    assert main(["status", "--db", url]) == 1
    # The hint must work if followed: `evolve run` does not make the folders.
    assert f"create the directory {str(tmp_path / 'no' / 'such')!r}, then `evolve run`" in (
        capsys.readouterr().err)
    assert main(["status", "--db", f"sqlite:///{tmp_path / 'there.db'}"]) == 1
    assert "create the directory" not in capsys.readouterr().err


def test_read_only_commands_do_not_create_databases(tmp_path, capsys):
    typo = tmp_path / "typo.db"
    for command in (["status"], ["best", "--campaign", "x"], ["show", "gru"]):
        assert main([*command, "--db", f"sqlite:///{typo}"]) == 1
        assert "no database file" in capsys.readouterr().err
    assert not typo.exists()


def test_best_needs_a_campaign_when_there_are_several(campaign_db, tmp_path, capsys):
    url, _ = campaign_db
    assert main(["best", "--db", url]) == 0  # the only campaign
    assert "campaign tiny's combined score" in capsys.readouterr().out
    assert main(["best", "--db", url, "--task", "copying"]) == 2  # usage, as in `eval`
    assert "unknown task 'copying'" in capsys.readouterr().err
    assert main(["best", "--db", url, "--task", "xml"]) == 0
    assert "nothing scored yet on xml" in capsys.readouterr().out


def test_genome_arguments_are_read_alike_everywhere(campaign_db, tmp_path, capsys):
    url, _ = campaign_db
    record = Store(url).genome(seeds.get("gru").hash)
    for key in ("gru", str(record.id), record.hash[:8], str(seeds.get("gru"))):
        assert main(["show", key, "--db", url, "--json"]) == 0, key
        assert json.loads(capsys.readouterr().out)["hash"] == record.hash
    assert main(["show", "h' = tanh(W x + U h + b(3))", "--db", url]) == 1
    assert "valid genome but not stored" in capsys.readouterr().err
    assert main(["eval", str(record.id), "--task", "memorization", "--preset", "smoke",
                 "--set", "train_steps=2", "--db", url, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["hash"] == record.hash


def test_usage_errors_name_the_subcommand(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["eval", "gru", "--task", "xml", "--dbb", "x"])
    assert caught.value.code == 2
    assert "usage: evolve eval" in capsys.readouterr().err


@pytest.mark.parametrize(("arguments", "message", "status"), [
    (["--campaign", ""], "a campaign name is 1 to 100 printable characters", 1),
    (["--campaign", "x" * 101], "a campaign name is 1 to 100", 1),
    (["--scheduler", "tcp://127.0.0.1:1"], "--scheduler is for the Dask executor", 2),
    (["--seed", "-1"], "--seed must be from 0", 2),
])
def test_run_argument_checks(arguments, message, status, tmp_path, capsys):
    assert main(["run", "--db", f"sqlite:///{tmp_path / 'a.db'}", *arguments]) == status
    assert message in capsys.readouterr().err


def test_resume_accepts_the_same_strategy_and_refuses_a_lower_budget(campaign_db, capsys):
    url, _ = campaign_db
    assert main(["run", "--campaign", "tiny", "--db", url, "--strategy", "regularized"]) == 0
    capsys.readouterr()
    assert main(["run", "--campaign", "tiny", "--db", url, "--budget", "3"]) == 1
    assert "--budget 3 is below the 5 candidates" in capsys.readouterr().err
