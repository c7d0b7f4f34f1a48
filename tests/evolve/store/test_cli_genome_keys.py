"""How the CLI reads a stored genome's key: digits alone may be an id or a hash prefix."""

from __future__ import annotations

import pytest

from evolve.cli._common import CliError, read_genome
from tests.evolve.store.helpers import variant

FILLER = 50_000  # variant numbers for genomes that only take up ids


def _find(condition, start: int = 0, limit: int = 40_000):
    for i in range(start, start + limit):
        g = variant(i)
        if condition(g.hash):
            return g
    raise AssertionError("no variant found")  # pragma: no cover


def test_digits_that_are_no_id_are_read_as_a_hash_prefix(store):
    # The audit's case: `evolve show 71200372` for a genome whose hash starts so.
    target = _find(lambda h: h[:8].isdigit() and h[0] != "0")
    store.add_genomes([variant(FILLER), target])
    assert read_genome(target.hash[:8], store) == target
    assert read_genome(target.hash[:5], store) == target
    # An id still wins when there is nothing else it could mean.
    ids = store.add_genomes([variant(FILLER)])
    assert read_genome(str(ids[variant(FILLER).hash]), store) == variant(FILLER)


def test_digits_that_are_an_id_and_a_hash_prefix_are_ambiguous(store):
    # A hash starting "00NN" (NN > 0): the text "00NN" is also id NN.
    target = _find(lambda h: h[:2] == "00" and h[2:4].isdigit() and h[:4] != "0000")
    text = target.hash[:4]
    fillers = [variant(FILLER + i) for i in range(100)]
    fillers = [g for g in fillers if not g.hash.startswith(text)]
    ids = store.add_genomes(fillers)
    store.add_genomes([target])
    by_id = next(g for g in fillers if ids[g.hash] == int(text))
    with pytest.raises(CliError) as caught:
        read_genome(text, store)
    message = str(caught.value)
    assert f"{text!r} is ambiguous" in message
    assert f"the id of genome {by_id.hash[:12]}" in message
    assert f"hash prefix of genome {target.hash[:12]}" in message
    # Both ways the message offers say one genome each.
    assert read_genome(by_id.hash[:12], store) == by_id
    assert read_genome(target.hash[:12], store) == target


def test_digits_matching_nothing_say_so_both_ways(store):
    store.add_genomes([variant(FILLER)])
    stored = variant(FILLER).hash
    text = next(t for t in ("98765", "98764", "98763") if not stored.startswith(t))
    with pytest.raises(CliError, match=f"no genome with id {text}, nor with a hash starting "
                                       f"{text}"):
        read_genome(text, store)
    # Too short for a hash prefix: only the id is looked for.
    with pytest.raises(CliError, match=r"no genome with id 987$"):
        read_genome("987", store)
