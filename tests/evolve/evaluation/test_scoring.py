import math

import pytest

from evolve.evaluation import EvaluationResult, Status, combine, relative_score


def _result(value, status=Status.DONE, higher=True, task="memorization"):
    return EvaluationResult(status=status, task=task, metric="accuracy" if higher else "bpc",
                            higher_is_better=higher, value=value)


def test_ratios_in_both_directions():
    assert relative_score(_result(0.9), _result(0.6)) == pytest.approx(1.5)
    assert relative_score(_result(2.0, higher=False, task="xml"),
                          _result(1.0, higher=False, task="xml")) == pytest.approx(0.5)


def test_failures_score_zero_and_need_a_reference():
    assert relative_score(_result(0.0, Status.DIVERGED), _result(0.6)) == 0.0
    with pytest.raises(ValueError, match="reference evaluation on memorization did not finish"):
        relative_score(_result(0.5), _result(0.0, Status.TIMEOUT))
    with pytest.raises(ValueError, match="cannot compare"):
        relative_score(_result(0.5), _result(1.0, higher=False, task="xml"))


def test_result_value_is_never_nan():
    with pytest.raises(ValueError, match="never NaN"):
        _result(math.nan)


def test_combination():
    assert combine({"a": 1.2, "b": 0.8}) == 0.8
    assert combine({"a": 1.0, "b": 0.5}, {"a": 3, "b": 1}) == pytest.approx(0.875)
    assert combine({"a": math.inf, "b": 1.0}) == 0.0  # a non-finite ratio counts as a failure
    with pytest.raises(ValueError, match="no weight for task"):
        combine({"a": 1.0}, {"b": 1.0})
