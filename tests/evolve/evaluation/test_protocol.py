import pytest

from evolve.evaluation import EvaluationProtocol, ProtocolError


def test_hash_is_stable_and_sensitive():
    a = EvaluationProtocol("memorization", {"length": 5}, units=32)
    b = EvaluationProtocol("memorization", {"length": 5}, units=32)
    assert a.hash == b.hash and len(a.hash) == 64
    assert a == b and hash(a) == hash(b)
    assert a.replace(units=33).hash != a.hash
    assert a.replace(task_params={"length": 6}).hash != a.hash
    assert a.replace(learning_rates=[0.01, 0.001]).hash != a.hash
    # Field order in the task parameters does not matter; the values' types do not either.
    c = EvaluationProtocol("arithmetic", {"digits": 2, "distractor_rate": 0.5},
                           learning_rates=[1])
    d = EvaluationProtocol("arithmetic", {"distractor_rate": 0.5, "digits": 2},
                           learning_rates=(1.0,))
    assert c.hash == d.hash


def test_known_hash_does_not_drift():
    # If this changes, every stored result stops matching its protocol: bump the version.
    protocol = EvaluationProtocol("memorization", {"length": 5, "alphabet": 8})
    assert protocol.hash == "941f77a1682b9a7d68ddc05720abcb7cf4ec6345290c2316bb470a28e1ea8f82"
    assert protocol.hash == EvaluationProtocol.from_dict(protocol.to_dict()).hash
    assert protocol.hash == EvaluationProtocol("memorization", {"alphabet": 8, "length": 5}).hash


def test_round_trip_through_dict():
    p = EvaluationProtocol("xml", {"length": 40}, layers=2, learning_rates=(0.01, 0.003),
                           init_scales=(1.0, 0.5))
    assert EvaluationProtocol.from_dict(p.to_dict()) == p
    assert p.settings == [(0.01, 1.0), (0.01, 0.5), (0.003, 1.0), (0.003, 0.5)]


@pytest.mark.parametrize(("changes", "message"), [
    ({"task": "copy"}, "task 'copy' unknown"),
    ({"units": 0}, "units must be an integer from 1 to 8,192"),
    ({"units": True}, "units must be an integer from 1"),
    ({"train_steps": 10**9}, "train_steps must be an integer from 1 to 10,000,000"),
    ({"learning_rates": []}, "learning_rates must be a non-empty list"),
    ({"learning_rates": [float("nan")]}, "learning_rates must be"),
    ({"learning_rates": "fast"}, "learning_rates must be a number or a list of numbers"),
    ({"init_scales": ["abc"]}, "init_scales must be a number or a list"),
    ({"task_params": 5}, "task_params must be a table"),
    ({"task_params": {"length": -1}}, r"task_params: memorization needs 1 <= length"),
    ({"task_params": {"lenght": 4}}, "task_params: bad parameter for task memorization"),
    ({"task_params": {"length": 10**8}}, "task_params: memorization needs"),
    ({"task": "ptb-word", "task_params": {"steps": 1}}, "task_params: steps must be"),
    ({"task": "ptb-char", "task_params": {"level": "word"}}, "bad parameter for task ptb-char"),
    ({"time_budget": "soon"}, "time_budget must be a number"),
    ({"optimizer": "rmsprop"}, "optimizer must be 'adam' or 'sgd'"),
    ({"time_budget": 0}, "time_budget must be positive"),
    ({"clip_norm": -1.0}, "clip_norm must be >= 0"),
    ({"embedding": -1}, "embedding must be an integer from 0"),
])
def test_bad_fields_are_named(changes, message):
    with pytest.raises(ProtocolError, match=message):
        EvaluationProtocol.from_dict({"task": "memorization", **changes})


def test_a_single_number_is_a_list_of_one():
    protocol = EvaluationProtocol.from_dict({"task": "memorization", "learning_rates": 0.01})
    assert protocol.learning_rates == (0.01,)


def test_unknown_field_is_named():
    with pytest.raises(ProtocolError, match=r"unknown protocol field.*unit"):
        EvaluationProtocol.from_dict({"task": "memorization", "unit": 3})
