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
    # Recomputed when protocols became canonical (task defaults filled in, floats as
    # floats): unchanged, because this protocol already spelled every task parameter
    # and its float fields were floats. Spellings that were not canonical (a default
    # left out, time_budget=600) now hash as this one does.
    protocol = EvaluationProtocol("memorization", {"length": 5, "alphabet": 8})
    assert protocol.hash == "941f77a1682b9a7d68ddc05720abcb7cf4ec6345290c2316bb470a28e1ea8f82"
    assert EvaluationProtocol("memorization", {"length": 5}, time_budget=600,
                              clip_norm=5).hash == protocol.hash
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
    ({"time_budget": float("inf")}, r"time_budget must be positive seconds, at most "
                                    r"2,592,000 \(30 days\), got inf"),
    ({"time_budget": float("nan")}, "time_budget must be positive seconds"),
    ({"time_budget": 31 * 24 * 3600}, r"at most 2,592,000 \(30 days\)"),
    ({"time_budget": 10**400}, "time_budget must be a finite number"),
    ({"clip_norm": -1.0}, "clip_norm must be a finite number >= 0"),
    ({"clip_norm": float("inf")}, "clip_norm must be a finite number >= 0, got inf"),
    ({"learning_rates": [10**400]}, "learning_rates must be a number or a list"),
    ({"task": "ptb-word", "task_params": {"verify": "no"}},
     "task_params: verify must be true or false, got 'no'"),
    ({"task": "ptb-word", "task_params": {"verify": 0}}, "verify must be true or false"),
    ({"task": "ptb-word", "task_params": {"steps": 35, "eval_tokens": 30}},
     "eval_tokens must be 0 .all. or at least steps . 1 = 36"),
    ({"task": "arithmetic", "task_params": {"distractor_rate": True}},
     "task_params: arithmetic needs"),
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


@pytest.mark.parametrize(("one", "other"), [
    ({"time_budget": 600}, {"time_budget": 600.0}),
    ({"clip_norm": 5}, {"clip_norm": 5.0}),
    ({"task": "arithmetic", "task_params": {"distractor_rate": 1}},
     {"task": "arithmetic", "task_params": {"distractor_rate": 1.0}}),
    ({"task": "arithmetic", "task_params": {}},
     {"task": "arithmetic", "task_params": {"digits": 3, "distractor_rate": 0.5}}),
    ({"task": "xml", "task_params": {"length": 64}}, {"task": "xml"}),
    ({"task": "ptb-char", "task_params": {}},
     {"task": "ptb-char", "task_params": {"steps": 35, "eval_tokens": 0, "verify": True}}),
])
def test_spellings_of_the_same_protocol_hash_alike(one, other):
    a = EvaluationProtocol.from_dict({"task": "memorization", **one})
    b = EvaluationProtocol.from_dict({"task": "memorization", **other})
    assert a.hash == b.hash
    assert a.to_dict() == b.to_dict()


def test_to_dict_is_the_canonical_form():
    protocol = EvaluationProtocol("arithmetic", {"distractor_rate": 2}, time_budget=60,
                                  clip_norm=1)
    data = protocol.to_dict()
    assert data["task_params"] == {"digits": 3, "distractor_rate": 2.0}
    assert type(data["task_params"]["distractor_rate"]) is float
    assert type(data["time_budget"]) is float and type(data["clip_norm"]) is float
    assert type(data["task_params"]["digits"]) is int
    # Stored protocols come back identical: from_dict of the canonical form is a fixpoint.
    assert EvaluationProtocol.from_dict(data).to_dict() == data
    memorization = EvaluationProtocol("memorization").to_dict()
    assert memorization["task_params"] == {"length": 5, "alphabet": 8}


def test_thirty_days_is_the_longest_budget():
    assert EvaluationProtocol("memorization", time_budget=30 * 24 * 3600).time_budget == 2592000.0


def test_preset_task_params_must_be_a_table():
    from evolve.evaluation import preset_protocol

    with pytest.raises(ProtocolError, match="task_params must be a table"):
        preset_protocol("xml", "quick", task_params=5)
