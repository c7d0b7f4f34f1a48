"""``evolve eval``: --protocol FILE.json and --no-verify."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from evolve.cli import main
from evolve.evaluation import EvaluationProtocol

FAST = ["--set", "train_steps=2", "--set", "units=8", "--set", "valid_sequences=16",
        "--set", "test_sequences=16"]


def _eval_json(capsys: pytest.CaptureFixture[str], *arguments: str) -> dict:
    assert main(["eval", "gru", *arguments, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def test_protocol_file_from_eval_json_and_from_to_dict(tmp_path, capsys):
    first = _eval_json(capsys, "--task", "memorization", "--preset", "smoke", *FAST)
    # The whole `evolve eval --json` record is accepted: its protocol is used.
    record = tmp_path / "record.json"
    record.write_text(json.dumps(first))
    again = _eval_json(capsys, "--protocol", str(record))
    assert again["protocol"] == first["protocol"]
    assert again["protocol_hash"] == first["protocol_hash"]
    assert again["value"] == first["value"]
    # And so is a bare protocol, as to_dict() writes it.
    bare = tmp_path / "protocol.json"
    bare.write_text(json.dumps(EvaluationProtocol.from_dict(first["protocol"]).to_dict()))
    assert _eval_json(capsys, "--protocol", str(bare))["protocol_hash"] == first["protocol_hash"]


def test_set_overrides_a_protocol_file_and_merges_task_parameters(tmp_path, capsys):
    protocol = EvaluationProtocol("memorization", {"length": 3, "alphabet": 4}, units=8,
                                  train_steps=2, valid_sequences=16, test_sequences=16)
    path = tmp_path / "p.json"
    path.write_text(json.dumps(protocol.to_dict()))
    out = _eval_json(capsys, "--protocol", str(path), "--task", "memorization",
                     "--set", "units=12", "--set", "task.length=2")
    assert out["protocol"]["units"] == 12
    assert out["protocol"]["train_steps"] == 2  # from the file
    # length from --set, alphabet kept from the file (not reset to the default 8).
    assert out["protocol"]["task_params"] == {"length": 2, "alphabet": 4}
    assert out["protocol_hash"] == protocol.replace(
        units=12, task_params={"length": 2, "alphabet": 4}).hash


@pytest.mark.parametrize(("content", "extra", "message"), [
    (None, [], "cannot read protocol file .*missing.json: No such file or directory"),
    ("{not json", [], r"protocol file .*p\.json is not valid JSON: .*line 1 column 2"),
    ("[1, 2]", [], "must hold a JSON object of protocol fields .* got a list"),
    ('{"task": "memorization", "unit": 8}', [],
     r"protocol \(from .*p\.json\): unknown protocol field\(s\) unit; the fields are"),
    ('{"units": 8}', [], r"protocol \(from .*p\.json\): a protocol needs a task"),
    ('{"task": "memorization", "units": 0}', [], "units must be an integer from 1"),
    ('{"task": "memorization"}', ["--set", "time_budget=Infinity"],
     "time_budget must be positive seconds, at most 2,592,000"),
    ('{"task": "memorization"}', ["--preset", "smoke"], "give --preset or --protocol, not both"),
    ('{"task": "memorization"}', ["--task", "xml"],
     "--task xml contradicts .*p.json, whose task is memorization"),
    ('{"task": "memorization"}', ["--no-verify"], "--no-verify is for the PTB tasks"),
])
def test_protocol_file_errors_are_named(tmp_path, capsys, content, extra, message):
    path = tmp_path / ("missing.json" if content is None else "p.json")
    if content is not None:
        path.write_text(content)
    # Flags that do not go together are a usage error (2); a bad file is a failure (1).
    usage = any(flag in extra for flag in ("--preset", "--no-verify"))
    assert main(["eval", "gru", "--protocol", str(path), *extra]) == (2 if usage else 1)
    err = capsys.readouterr().err
    assert err.startswith("evolve eval: ")
    assert err.count("\n") == 1  # one line
    assert re.search(message, err), err


def test_task_or_protocol_is_required(capsys):
    assert main(["eval", "gru"]) == 2
    assert "give --task TASK, or --protocol FILE.json naming one" in capsys.readouterr().err


def _corrupt_ptb(directory: Path) -> Path:
    directory.mkdir()
    # Not Mikolov's files: the checksums fail, but the text is usable.
    train = " the cat sat on the mat \n the dog sat on the cat \n" * 20
    (directory / "ptb.train.txt").write_text(train)
    (directory / "ptb.valid.txt").write_text(" the cat sat on the dog \n" * 4)
    (directory / "ptb.test.txt").write_text(" the dog sat on the mat \n" * 4)
    return directory


def test_no_verify_runs_on_files_that_fail_the_checksum(tmp_path, capsys):
    data = str(_corrupt_ptb(tmp_path / "ptb"))
    common = ["--task", "ptb-word", "--preset", "smoke", "--data-dir", data, *FAST,
              "--set", "task.steps=5", "--set", "task.eval_tokens=20"]
    # Without the flag: refused, and the message points at the flag.
    assert main(["eval", "gru", *common]) == 1
    err = capsys.readouterr().err
    assert "does not match Mikolov's ptb.train.txt" in err and "--no-verify" in err
    out = _eval_json(capsys, *common, "--no-verify")
    assert out["status"] == "done"
    assert out["protocol"]["task_params"] == {"steps": 5, "verify": False, "eval_tokens": 20}


def test_no_verify_on_a_synthetic_task_is_refused(capsys):
    assert main(["eval", "gru", "--task", "xml", "--no-verify"]) == 2
    assert "--no-verify is for the PTB tasks (ptb-word, ptb-char)" in capsys.readouterr().err


def test_verify_set_to_a_string_is_refused(capsys):
    assert main(["eval", "gru", "--task", "ptb-word", "--set", "task.verify=no"]) == 1
    assert "task_params: verify must be true or false, got 'no'" in capsys.readouterr().err
