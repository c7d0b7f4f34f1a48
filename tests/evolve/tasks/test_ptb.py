import gzip
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from evolve.tasks import (
    DataError,
    PennTreebank,
    check_task,
    default_data_dir,
    make_task,
    read_text,
)

SHARED = default_data_dir()
needs_ptb = pytest.mark.skipif(SHARED is None, reason="Penn Treebank not found: set "
                                                      "EVOLVE_PTB_DIR, or put it at "
                                                      "../shared/data/ptb")


@needs_ptb
def test_real_files_verify_and_tokenize():
    word = make_task("ptb-word", data_dir=str(SHARED))
    assert word.vocab_size == 10_000
    # 887,521 words plus one end-of-sentence token per line (REFERENCES.md).
    lines = read_text(SHARED, "train").count("\n")
    assert len(word.tokens("train")) == 887_521 + lines
    char = make_task("ptb-char", data_dir=str(SHARED))
    assert 40 < char.vocab_size < 60
    split = word.split("valid", seed=0, sequences=0)
    assert split.inputs.shape[1] == 35
    assert np.array_equal(split.inputs[0, 1:], split.targets[0, :-1])
    assert np.array_equal(split.targets[0, -1:], split.inputs[1, :1])  # consecutive windows


def _fixture(directory: Path, text: dict[str, str], packed: bool = False) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for split, body in text.items():
        name = f"ptb.{split}.txt"
        if packed:
            (directory / f"{name}.gz").write_bytes(gzip.compress(body.encode()))
        else:
            (directory / name).write_text(body)
    return directory


TINY = {"train": " the cat sat \n the dog sat \n", "valid": " the cat \n", "test": " dog sat \n"}


def test_corrupt_file_is_named_with_the_expected_checksum(tmp_path):
    directory = _fixture(tmp_path / "ptb", TINY)
    with pytest.raises(DataError, match=r"ptb\.train\.txt does not match Mikolov's ptb\.train"
                                         r"\.txt: SHA-256 [0-9a-f]{64}, expected fcea919f"):
        make_task("ptb-word", data_dir=str(directory))


@pytest.mark.parametrize("packed", [False, True])
def test_unverified_fixture_loads_plain_and_gz(tmp_path, packed):
    directory = _fixture(tmp_path / "ptb", TINY, packed=packed)
    task = PennTreebank("word", steps=2, data_dir=str(directory), verify=False)
    assert task.vocab_size == 5  # the cat sat dog <eos>
    assert len(task.tokens("test")) == 3
    split = task.split("valid", seed=0, sequences=0)
    assert split.inputs.shape == (1, 2)


def test_token_never_seen_in_train_is_reported(tmp_path):
    directory = _fixture(tmp_path / "ptb", {**TINY, "test": " a dog \n"})
    with pytest.raises(DataError, match="test split has token 'a' that never occurs in train"):
        PennTreebank("word", data_dir=str(directory), verify=False)


def test_missing_file_says_what_to_pass(tmp_path):
    directory = _fixture(tmp_path / "ptb", {"train": "x\n", "valid": "x\n"})
    with pytest.raises(DataError, match=r"neither .*ptb\.test\.txt nor .*ptb\.test\.txt\.gz"):
        PennTreebank("char", data_dir=str(directory), verify=False)


def test_bad_gzip_is_reported(tmp_path):
    directory = _fixture(tmp_path / "ptb", TINY)
    (directory / "ptb.train.txt").unlink()
    (directory / "ptb.train.txt.gz").write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match="is not a readable gzip file"):
        PennTreebank("word", data_dir=str(directory), verify=False)


@needs_ptb
def test_gz_and_plain_copies_verify(tmp_path):
    for split in ("train", "valid", "test"):
        source = SHARED / f"ptb.{split}.txt.gz"
        if source.exists():
            shutil.copy(source, tmp_path / source.name)
        else:
            shutil.copy(SHARED / f"ptb.{split}.txt", tmp_path / f"ptb.{split}.txt")
    task = make_task("ptb-char", data_dir=str(tmp_path))
    assert task.split("train", seed=1, sequences=3).inputs.shape == (3, 35)


def test_unverified_file_too_short_for_a_window_is_named(tmp_path):
    directory = _fixture(tmp_path / "ptb", TINY)  # 8 training words, 3 validation words
    with pytest.raises(DataError, match=r"ptb\.train\.txt has 8 word-level tokens; at least 37 "
                                        r"are needed with steps=35"):
        PennTreebank("word", data_dir=str(directory), verify=False)
    # Train is long enough for steps=5, valid (3 words) is not.
    longer = _fixture(tmp_path / "longer", {**TINY, "train": TINY["train"] * 2})
    with pytest.raises(DataError, match=r"ptb\.valid\.txt has 3 word-level tokens; at least 6"):
        PennTreebank("word", steps=5, data_dir=str(longer), verify=False)
    packed = _fixture(tmp_path / "packed", TINY, packed=True)
    with pytest.raises(DataError, match=r"ptb\.train\.txt\.gz has 8"):
        PennTreebank("word", data_dir=str(packed), verify=False)


def test_eval_tokens_shorter_than_a_window_is_refused():
    with pytest.raises(ValueError, match=r"eval_tokens must be 0 \(all\) or at least steps \+ 1 = "
                                         r"21, got 20"):
        check_task("ptb-word", {"steps": 20, "eval_tokens": 20})
    check_task("ptb-word", {"steps": 20, "eval_tokens": 21})


@pytest.mark.parametrize("value", ["no", "false", 0, 1, None])
def test_verify_must_be_a_boolean(tmp_path, value):
    directory = _fixture(tmp_path / "ptb", TINY)
    with pytest.raises(ValueError, match=f"verify must be true or false, got {value!r}"):
        PennTreebank("word", steps=2, data_dir=str(directory), verify=value)
    with pytest.raises(ValueError, match="verify must be true or false"):
        check_task("ptb-char", {"verify": value})


def test_checksum_error_names_options_that_exist(tmp_path):
    directory = _fixture(tmp_path / "ptb", TINY)
    with pytest.raises(DataError) as caught:
        make_task("ptb-word", data_dir=str(directory))
    message = str(caught.value)
    assert "`evolve eval --no-verify`" in message and "--set task.verify=false" in message
    # What it suggests is accepted.
    assert make_task("ptb-word", data_dir=str(directory), steps=2, verify=False).vocab_size == 5


def test_metric_for_names_the_metric_without_data():
    assert PennTreebank.metric_for("ptb-word").name == "perplexity"
    assert PennTreebank.metric_for("ptb-char").name == "bpc"
    with pytest.raises(ValueError, match="not a Penn Treebank task: 'xml'"):
        PennTreebank.metric_for("xml")


def test_not_found_names_every_place_it_looked(tmp_path, monkeypatch):
    # Nothing at any default place: $EVOLVE_PTB_DIR, ../shared/data/ptb from the
    # working directory and beside the repository (patched to an empty one).
    import evolve.tasks.ptb as ptb

    working = tmp_path / "work" / "repo"
    working.mkdir(parents=True)
    monkeypatch.chdir(working)
    monkeypatch.setenv("EVOLVE_PTB_DIR", str(tmp_path / "env-ptb"))
    monkeypatch.setattr(ptb, "BESIDE_REPOSITORY", tmp_path / "beside" / "ptb")
    with pytest.raises(DataError) as caught:
        make_task("ptb-word")
    message = str(caught.value)
    assert message.startswith("Penn Treebank not found: looked in ")
    assert f"{tmp_path / 'env-ptb'} ($EVOLVE_PTB_DIR)" in message
    assert f"{tmp_path / 'work' / 'shared' / 'data' / 'ptb'} (../shared/data/ptb from the " \
           f"working directory)" in message
    assert f"{tmp_path / 'beside' / 'ptb'} (../shared/data/ptb beside the repository)" in message
    assert "pass --data-dir DIR" in message
    monkeypatch.delenv("EVOLVE_PTB_DIR")
    with pytest.raises(DataError, match=r"\(\$EVOLVE_PTB_DIR is not set\)"):
        make_task("ptb-char")
    # A default place that holds the data is used.
    found = _fixture(tmp_path / "work" / "shared" / "data" / "ptb", TINY)
    assert default_data_dir() == found


def test_a_given_data_dir_that_is_not_there_is_named(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(DataError, match=f"Penn Treebank file missing: neither "
                                        f"{re.escape(str(missing / 'ptb.train.txt'))} nor "
                                        r".*ptb\.train\.txt\.gz"):
        make_task("ptb-word", data_dir=str(missing))
