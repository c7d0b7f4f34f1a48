"""Penn Treebank language modelling, word and character level, read from a directory."""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
from pathlib import Path

import numpy as np

from evolve.tasks._base import Metric, Split, Task

#: SHA-256 of the uncompressed files of Mikolov's version (REFERENCES.md).
KNOWN_SHA256 = {
    "ptb.train.txt": "fcea919f6cf83f35d4d00c6cbf08040d13d4155226340912e2fef9c9c4102cbf",
    "ptb.valid.txt": "c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2",
    "ptb.test.txt": "dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0",
}
#: ../shared/data/ptb beside the repository this package is in (an editable install's).
BESIDE_REPOSITORY = Path(__file__).resolve().parents[3] / "shared" / "data" / "ptb"
_FILES = {"train": "ptb.train.txt", "valid": "ptb.valid.txt", "test": "ptb.test.txt"}
EOS = "<eos>"


class DataError(RuntimeError):
    """A data directory or file that cannot be used, with what was expected."""


def data_dir_candidates() -> list[tuple[str, Path]]:
    """Where :func:`default_data_dir` looks, in order, each with where it comes from.

    ``$EVOLVE_PTB_DIR``, else ``../shared/data/ptb`` from the working
    directory, else the same path beside the repository of this package.
    """
    candidates = []
    if os.environ.get("EVOLVE_PTB_DIR"):
        candidates.append(("$EVOLVE_PTB_DIR", Path(os.environ["EVOLVE_PTB_DIR"])))
    candidates.append(("../shared/data/ptb from the working directory",
                       Path.cwd().parent / "shared" / "data" / "ptb"))
    candidates.append(("../shared/data/ptb beside the repository", BESIDE_REPOSITORY))
    return candidates


def _has_data(directory: Path) -> bool:
    return (directory / "ptb.train.txt").exists() or (directory / "ptb.train.txt.gz").exists()


def default_data_dir() -> Path | None:
    """Where Penn Treebank is looked for when no directory is given.

    The first of :func:`data_dir_candidates` that holds ``ptb.train.txt``
    (plain or .gz); None when none does.
    """
    for _, candidate in data_dir_candidates():
        if _has_data(candidate):
            return candidate
    return None


def _not_found() -> DataError:
    # Every place looked in, so that a wrong $EVOLVE_PTB_DIR or working directory shows.
    tried = ", ".join(f"{path} ({origin})" for origin, path in data_dir_candidates())
    unset = "" if os.environ.get("EVOLVE_PTB_DIR") else " ($EVOLVE_PTB_DIR is not set)"
    return DataError(f"Penn Treebank not found: looked in {tried}{unset} and none has "
                     f"ptb.train.txt or ptb.train.txt.gz; pass --data-dir DIR (a directory "
                     f"with ptb.train.txt, ptb.valid.txt, ptb.test.txt, plain or .gz) or set "
                     f"EVOLVE_PTB_DIR")


def read_text(directory: str | Path, split: str, verify: bool = True) -> str:
    """The text of one split, from ``ptb.SPLIT.txt`` or ``ptb.SPLIT.txt.gz``.

    Raises:
        DataError: naming the missing or corrupt file and what was expected.
    """
    directory = Path(directory)
    name = _FILES[split]
    plain, packed = directory / name, directory / f"{name}.gz"
    if plain.exists():
        data = plain.read_bytes()
        path = plain
    elif packed.exists():
        path = packed
        try:
            data = gzip.decompress(packed.read_bytes())
        except (OSError, EOFError) as error:
            raise DataError(f"{packed} is not a readable gzip file ({error}); expected "
                            f"Mikolov's {name}, gzipped") from None
    else:
        raise DataError(f"Penn Treebank file missing: neither {plain} nor {packed} exists; "
                        f"pass --data-dir pointing at a directory with ptb.train.txt, "
                        f"ptb.valid.txt and ptb.test.txt (plain or .gz)")
    if verify:
        digest = hashlib.sha256(data).hexdigest()
        if digest != KNOWN_SHA256[name]:
            raise DataError(f"{path} does not match Mikolov's {name}: SHA-256 {digest}, "
                            f"expected {KNOWN_SHA256[name]} (corrupt or another version; "
                            f"to use it anyway, set the task parameter verify to false: "
                            f"`evolve eval --no-verify`, `--set task.verify=false`, "
                            f"task_params = {{ verify = false }} in a campaign file, or "
                            f"verify=False in Python)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DataError(f"{path} is not UTF-8 text ({error})") from None


@functools.lru_cache(maxsize=8)
def _corpus(directory: str, level: str, verify: bool) -> tuple[dict[str, np.ndarray], int]:
    texts = {split: read_text(directory, split, verify) for split in _FILES}
    if level == "word":
        streams = {split: text.replace("\n", f" {EOS} ").split() for split, text in texts.items()}
    else:
        streams = {split: list(text.replace("\n", "\x0a")) for split, text in texts.items()}
    vocabulary = sorted(set(streams["train"]))
    index = {token: number for number, token in enumerate(vocabulary)}
    unknown = index.get("<unk>")
    arrays = {}
    for split, stream in streams.items():
        try:
            arrays[split] = np.array([index[t] for t in stream], dtype=np.int32)
        except KeyError:
            if unknown is None:
                missing = next(t for t in stream if t not in index)
                raise DataError(f"{split} split has token {missing!r} that never occurs in "
                                f"train") from None
            arrays[split] = np.array([index.get(t, unknown) for t in stream], dtype=np.int32)
    return arrays, len(vocabulary)


def check_params(level: str = "word", steps: int = 35, eval_tokens: int = 0,
                 verify: bool = True) -> None:
    """Raise ValueError for parameters no Penn Treebank task accepts (without reading data)."""
    if level not in ("word", "char"):
        raise ValueError(f"level must be 'word' or 'char', got {level!r}")
    for name, value, low, high in (("steps", steps, 2, 10_000),
                                   ("eval_tokens", eval_tokens, 0, 10**8)):
        if not (isinstance(value, int) and not isinstance(value, bool) and low <= value <= high):
            raise ValueError(f"{name} must be an integer from {low} to {high:,}, got {value!r}")
    if 0 < eval_tokens <= steps:
        # Fewer would leave valid and test without a single window to measure.
        raise ValueError(f"eval_tokens must be 0 (all) or at least steps + 1 = {steps + 1}, got "
                         f"{eval_tokens}")
    # A string such as "no" would be truthy and silently verify.
    if not isinstance(verify, bool):
        raise ValueError(f"verify must be true or false, got {verify!r}")


class PennTreebank(Task):
    """Penn Treebank language modelling (Mikolov's 10k-word version).

    Training samples windows of ``steps + 1`` tokens at random offsets of the
    training stream; validation and test cut their stream into consecutive
    windows (each window starts from a zero state). Headline metric:
    perplexity (word level) or bits per character (character level).

    Args:
        level: ``"word"`` or ``"char"`` (characters as tokens, space included,
            end of line as a token).
        steps: tokens per window (unroll length).
        data_dir: directory of ``ptb.{train,valid,test}.txt`` (plain or .gz);
            see :func:`default_data_dir`.
        verify: check the files' SHA-256 against Mikolov's version.
        eval_tokens: use at most this many tokens of valid/test (0: all).
    """

    language_model = True

    def __init__(self, level: str = "word", steps: int = 35, data_dir: str | None = None,
                 verify: bool = True, eval_tokens: int = 0):
        check_params(level=level, steps=steps, eval_tokens=eval_tokens, verify=verify)
        directory = Path(data_dir) if data_dir else default_data_dir()
        if directory is None:
            raise _not_found()
        self.level = level
        self.steps = steps
        self.data_dir = str(directory)
        self.verify = verify
        self.eval_tokens = eval_tokens
        self._arrays, self._vocab = _corpus(str(directory.resolve()), level, verify)
        self._check_lengths(directory)

    def _check_lengths(self, directory: Path) -> None:
        # Training samples windows of steps + 1 tokens at offsets in [0, len - steps - 1);
        # valid and test need one whole window.
        needed = {"train": self.steps + 2, "valid": self.steps + 1, "test": self.steps + 1}
        for split, minimum in needed.items():
            have = len(self._arrays[split])
            if have < minimum:
                name = _FILES[split]
                path = directory / name if (directory / name).exists() else (
                    directory / f"{name}.gz")
                raise DataError(f"{path} has {have:,} {self.level}-level tokens; at least "
                                f"{minimum:,} are needed with steps={self.steps} "
                                f"(a truncated or wrong file?)")

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"ptb-{self.level}"

    @property
    def metric(self) -> Metric:  # type: ignore[override]
        return self.metric_for(self.name)

    @staticmethod
    def metric_for(name: str) -> Metric:
        """The headline metric of task ``name`` ("ptb-word" or "ptb-char"), reading no data."""
        if name not in ("ptb-word", "ptb-char"):
            raise ValueError(f"not a Penn Treebank task: {name!r}; they are ptb-word, ptb-char")
        return Metric("perplexity" if name == "ptb-word" else "bpc", higher_is_better=False)

    @property
    def vocab_size(self) -> int:
        return self._vocab

    def params(self) -> dict:
        # The data directory is where the data is, not what it is: it stays out of identity.
        return {"level": self.level, "steps": self.steps, "eval_tokens": self.eval_tokens}

    def tokens(self, which: str) -> np.ndarray:
        return self._arrays[which]

    def split(self, which: str, seed: int, sequences: int) -> Split:
        stream = self._arrays[which]
        width = self.steps + 1
        if which == "train":
            offsets = self._rng(which, seed).integers(0, len(stream) - width, size=sequences)
        else:
            usable = len(stream) if not self.eval_tokens else min(len(stream), self.eval_tokens)
            count = (usable - 1) // self.steps
            if sequences:
                count = min(count, sequences)
            offsets = np.arange(count) * self.steps
        windows = stream[offsets[:, None] + np.arange(width)[None, :]]
        weights = np.ones((len(offsets), self.steps), dtype=np.float32)
        return Split(windows[:, :-1], windows[:, 1:], weights)
