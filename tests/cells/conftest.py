import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def to_numpy(value):
    return np.asarray(value)
