import json
import subprocess
import sys

import pytest

from evolve.cli import main
from genome import seeds


def test_table_lists_every_seed_with_equations_and_params(capsys):
    assert main(["seeds", "--units", "64", "--input-dim", "32"]) == 0
    out = capsys.readouterr().out
    for name in seeds.names():
        assert f"\n{name} " in out
    assert "h' = z * h + (1 - z) * tanh(W x + U(r * h) + b)" in out
    gru_params = seeds.get("gru").param_count(32, 64)
    assert f"{gru_params:,}" in out
    assert "D must = H" in out  # mut1 at 32 -> 64
    assert "20 seeds" in out


def test_json_listing(capsys):
    assert main(["seeds", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in records] == seeds.names()
    lstm = next(r for r in records if r["name"] == "lstm")
    assert lstm["params"] == seeds.get("lstm").param_count(128, 128)
    assert lstm["hash"] == seeds.get("lstm").hash


def test_one_seed_in_full(capsys):
    assert main(["seeds", "lstm_b"]) == 0
    out = capsys.readouterr().out
    assert "f = sigmoid(W x + U h + b(1))" in out
    assert "\\begin{aligned}" in out
    assert '"format": "rnn-genome/1"' in out
    assert seeds.get("lstm_b").hash in out


def test_one_seed_as_json(capsys):
    assert main(["seeds", "gru", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["json"]["slots"][0]["name"] == "z"
    assert record["latex"].startswith("\\begin{aligned}")


def test_unknown_seed_is_a_clear_error():
    with pytest.raises(SystemExit, match="no seed named 'nope'"):
        main(["seeds", "nope"])


def test_console_script_runs_without_tensorflow():
    code = ("import sys; from evolve.cli import main; main(['seeds']); "
            "assert 'tensorflow' not in sys.modules, 'seeds imported tensorflow'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert "mingru" in result.stdout
