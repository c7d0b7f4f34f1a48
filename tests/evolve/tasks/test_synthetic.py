import numpy as np
import pytest

from evolve.tasks import TASK_NAMES, Arithmetic, Memorization, Xml, make_task


@pytest.mark.parametrize("name", ["memorization", "arithmetic", "xml"])
def test_generation_is_deterministic_and_splits_differ(name):
    task = make_task(name)
    a = task.split("train", seed=5, sequences=64)
    b = task.split("train", seed=5, sequences=64)
    assert np.array_equal(a.inputs, b.inputs) and np.array_equal(a.targets, b.targets)
    other_seed = task.split("train", seed=6, sequences=64)
    valid = task.split("valid", seed=5, sequences=64)
    assert not np.array_equal(a.inputs, other_seed.inputs)
    assert not np.array_equal(a.inputs[:, :8], valid.inputs[:, :8])
    assert a.inputs.max() < task.vocab_size and a.targets.max() < task.vocab_size
    assert a.inputs.dtype == np.int32 and a.weights.dtype == np.float32


def test_memorization_targets_repeat_the_symbols_after_the_delimiter():
    task = Memorization(length=4, alphabet=5)
    split = task.split("test", seed=0, sequences=100)
    assert split.inputs.shape == (100, 9)
    assert np.all(split.inputs[:, 4] == 1)  # delimiter
    assert np.all(split.inputs[:, 5:] == 0)  # blanks while answering
    assert np.array_equal(split.targets[:, 5:], split.inputs[:, :4])
    assert np.all(split.weights[:, 5:] == 1) and np.all(split.weights[:, :5] == 0)
    assert set(np.unique(split.inputs[:, :4])) <= set(range(2, 7))


def test_arithmetic_targets_are_the_true_sums_and_differences():
    task = Arithmetic(digits=3, distractor_rate=1.0)
    split = task.split("valid", seed=2, sequences=300)
    problems = task.problems("valid", seed=2, count=300)
    operators = set()
    for row, (a, op, b) in enumerate(problems):
        operators.add(op)
        answer = task.decode(split.targets[row][split.weights[row] > 0])
        assert answer == f"{a + b if op == '+' else a - b}$"
        question = task.decode(split.inputs[row])
        # The question holds the operands once the distractors are removed.
        readable = "".join(c for c in question.split("=")[0] if c in "0123456789+-")
        assert readable == f"{a}{op}{b}"
        # Teacher forcing: after '=' the model reads the answer so far.
        assert question.split("=")[1] == answer[:-1]
    assert operators == {"+", "-"}
    assert any(c in task.decode(split.inputs[0]) + task.decode(split.inputs[1])
               for c in "abcdefghij")


def test_arithmetic_exact_match():
    task = Arithmetic(digits=2)
    split = task.split("test", seed=0, sequences=4)
    perfect = split.targets.copy()
    assert task.extra_metrics(split, perfect)["exact_match"] == 1.0
    wrong = perfect.copy()
    first = np.argmax(split.weights[0] > 0)
    wrong[0, first] = (wrong[0, first] + 1) % task.vocab_size
    assert task.extra_metrics(split, wrong)["exact_match"] == 0.75


def _well_formed(text: str) -> bool:
    """Every closing tag matches the innermost open one (a cut document may end open)."""
    stack = []
    position = 0
    while position < len(text):
        end = text.find(">", position)
        if end < 0:
            return True  # cut inside a tag
        tag = text[position + 1 : end]
        assert text[position] == "<", text
        if tag.startswith("/"):
            if not stack or stack.pop() != tag[1:]:
                return False
        else:
            stack.append(tag)
        position = end + 1
    return True


def test_xml_documents_are_well_formed_and_targets_are_the_next_character():
    task = Xml(length=80, max_depth=3)
    split = task.split("train", seed=1, sequences=200)
    for row in range(200):
        text = task.text(split.inputs[row])
        assert len(text) == 80 and _well_formed(text)
        assert np.array_equal(split.inputs[row, 1:], split.targets[row, :-1])
    depths = [max(_depth(task.text(split.inputs[r])) for _ in [0]) for r in range(200)]
    assert max(depths) >= 2


def _depth(text: str) -> int:
    depth = best = 0
    for position, char in enumerate(text[:-1]):
        if char == "<":
            depth += -1 if text[position + 1] == "/" else 1
            best = max(best, depth)
    return best


def test_xml_closing_accuracy_counts_only_closing_tags():
    task = Xml(length=40)
    split = task.split("test", seed=0, sequences=8)
    perfect = task.extra_metrics(split, split.targets.copy())["closing_accuracy"]
    assert perfect == 1.0
    scrambled = task.extra_metrics(split, np.zeros_like(split.targets))["closing_accuracy"]
    assert scrambled == 0.0


def test_unknown_task_and_bad_parameters_are_clear():
    with pytest.raises(ValueError, match="unknown task 'copy'; the tasks are"):
        make_task("copy")
    with pytest.raises(ValueError, match=r"bad parameter for task memorization: size; the "
                                         r"parameters are alphabet, length$"):
        make_task("memorization", size=3)
    with pytest.raises(ValueError, match="1 <= length <= 1000"):
        Memorization(length=0)
    assert set(TASK_NAMES) == {"memorization", "arithmetic", "xml", "ptb-word", "ptb-char"}


def _top_level_elements(text: str) -> int:
    """Top-level elements that close within ``text``."""
    depth = closed = 0
    for position, char in enumerate(text[:-1]):
        if char == "<":
            if text[position + 1] == "/":
                depth -= 1
                closed += depth == 0
            else:
                depth += 1
    return closed


def test_xml_rows_are_streams_of_elements_cut_at_the_length():
    # What the class docstring says: several top-level elements one after
    # another, not one document, cut at a fixed length.
    task = Xml(length=64, max_depth=2)
    split = task.split("train", seed=3, sequences=100)
    counts = [_top_level_elements(task.text(row)) for row in split.inputs]
    assert max(counts) >= 2
    assert all(len(task.text(row)) == 64 for row in split.inputs)
    assert "stream of elements" in " ".join(Xml.__doc__.split())


def test_small_task_spaces_share_examples_between_splits():
    # The splits are independent draws, not disjoint sets (see Task._rng): with
    # 8**5 possible strings and 9,600 training sequences, about a quarter of
    # quick memorization's validation strings also occur in train.
    task = Memorization(length=5, alphabet=8)
    train = {row.tobytes() for row in task.split("train", 0, 300 * 32).inputs}
    valid = task.split("valid", 0, 256).inputs
    shared = sum(row.tobytes() in train for row in valid)
    assert 30 < shared < 110
    # Long strings: the space dwarfs the pool and the splits do not meet.
    long = Memorization(length=20, alphabet=8)
    train = {row.tobytes() for row in long.split("train", 0, 9600).inputs}
    assert not any(row.tobytes() in train for row in long.split("valid", 0, 256).inputs)


def test_task_parameters_are_the_constructor_keywords_with_their_defaults():
    from evolve.tasks import canonical_task_params, task_parameters

    assert task_parameters("arithmetic") == {"digits": (int, 3), "distractor_rate": (float, 0.5)}
    assert task_parameters("ptb-word") == {"steps": (int, 35), "verify": (bool, True),
                                           "eval_tokens": (int, 0)}
    assert canonical_task_params("xml", {"length": 32}) == {"length": 32, "max_depth": 4,
                                                           "name_length": 3}
    canonical = canonical_task_params("arithmetic", {"distractor_rate": 2})
    assert canonical == {"digits": 3, "distractor_rate": 2.0}
    assert type(canonical["distractor_rate"]) is float
    with pytest.raises(ValueError, match="bad parameter for task xml"):
        canonical_task_params("xml", {"lenght": 32})
    with pytest.raises(ValueError, match="xml needs 8 <= length"):
        canonical_task_params("xml", {"length": 32.0})  # whole numbers stay integers
    with pytest.raises(ValueError, match="unknown task 'copy'"):
        task_parameters("copy")


@pytest.mark.parametrize(("name", "params", "message"), [
    ("memorization", {"lenght": 5}, "bad parameter for task memorization: lenght (did you mean "
                                    "length?); the parameters are alphabet, length"),
    ("arithmetic", {"digits": 2, "distractors": 0.1, "zzz": 1},
     "bad parameter for task arithmetic: distractors (did you mean distractor_rate?), zzz; the "
     "parameters are digits, distractor_rate"),
    ("xml", {"depth": 2}, "bad parameter for task xml: depth (did you mean max_depth?); the "
                          "parameters are length, max_depth, name_length"),
    # level is how the task is named (ptb-word, ptb-char), not a parameter.
    ("ptb-char", {"level": "word"}, "bad parameter for task ptb-char: level; the parameters "
                                    "are eval_tokens, steps, verify"),
])
def test_a_parameter_typo_lists_the_task_parameters(name, params, message):
    # Not "Memorization.__init__() got an unexpected keyword argument": the
    # message lists what the task accepts, through every way in.
    from evolve.tasks import canonical_task_params, check_task

    for attempt in (lambda: make_task(name, **params), lambda: check_task(name, params),
                    lambda: canonical_task_params(name, params)):
        with pytest.raises(ValueError) as caught:
            attempt()
        assert str(caught.value) == message
