"""What a campaign does with proposals: duplicates skipped and counted, rejections reported."""

from collections import Counter

import genome
from evolve.campaign import Campaign, load_config
from evolve.cli import main
from evolve.search import Proposal
from genome import seeds

RNN = seeds.get("rnn")
# The same cell as rnn by its canonical form (operands of + are sorted): equal hashes.
RNN_REORDERED = genome.parse("h' = tanh(b + U h + W x)")
# Two ways to write one interpolation; different hashes, the same function.
MIX = genome.parse("z = sigmoid(W x + U h + b)\nh' = (1 - z) * h + z * tanh(W x + U h + b)")
MIX_REWRITTEN = genome.parse("z = sigmoid(W x + U h + b)\nh' = h + z * (tanh(W x + U h + b) - h)")
# minGRU, rewritten the same way.
MINGRU_REWRITTEN = genome.parse("z = sigmoid(W x + b)\nh' = h + z * ((W x + b) - h)")
NEW = genome.parse("h' = relu(W x + U h + b)")


def config():
    return load_config("smoke", initial=["rnn", "gru", "mingru"], budget=5, batch=2,
                       search={"population": 5, "tournament": 2, "top": 5})


def test_the_examples_are_what_they_claim():
    assert RNN_REORDERED.hash == RNN.hash
    assert MIX.hash != MIX_REWRITTEN.hash
    assert MINGRU_REWRITTEN.hash != seeds.get("mingru").hash


def test_equivalent_genomes_are_skipped_and_counted_and_rejections_reach_the_summary(
        store, fake_training):
    campaign = Campaign.create(store, "dedup", config(), seed=1)
    rnn = seeds.get("rnn").hash
    offered = [RNN_REORDERED, MIX, MIX_REWRITTEN, MINGRU_REWRITTEN, NEW]

    def propose(members, rng, count):
        campaign.strategy.rejections.update({"size": 3, "type": 1})
        return [Proposal(g, "mutation", (rnn,), "mut_uniform") for g in offered]

    campaign.strategy.propose = propose
    summary = campaign.run()
    hashes = [m.genome_hash for m in store.members("dedup")]
    assert len(hashes) == 5 and hashes.count(rnn) == 1
    assert MIX.hash in hashes and NEW.hash in hashes
    assert MIX_REWRITTEN.hash not in hashes and MINGRU_REWRITTEN.hash not in hashes
    # Skipped before any training.
    trained = {h for h, _ in fake_training.calls}
    assert not trained & {MIX_REWRITTEN.hash, MINGRU_REWRITTEN.hash}
    assert summary.duplicates == {"hash": 1, "function": 2}
    assert summary.rejections == {"size": 3, "type": 1}
    stats = store.campaign("dedup").stats
    assert stats["duplicate:hash"] == 1 and stats["duplicate:function"] == 2
    assert stats["rejected:size"] == 3 and stats["rejected:type"] == 1
    # A resumed campaign reads them back.
    reopened = Campaign.open(store, "dedup").summary()
    assert (reopened.duplicates, reopened.rejections) == (summary.duplicates, summary.rejections)


def test_rejections_of_real_operators_are_printed_by_evolve_run(tmp_path, fake_training, capsys):
    """Tight limits make the real operators refuse children; `evolve run` says why."""
    path = tmp_path / "tight.toml"
    path.write_text('budget = 9\nbatch = 3\ninitial = ["rnn", "gru", "mingru"]\n'
                    "[search]\npopulation = 3\ntournament = 2\n"
                    "[limits]\nmax_height = 4\nmax_slot_size = 12\n")
    url = f"sqlite:///{tmp_path / 'tight.db'}"
    assert main(["run", "--preset", "smoke", "--config", str(path), "--campaign", "tight",
                 "--db", url, "--executor", "inline", "--no-progress"]) == 0
    out = capsys.readouterr().out
    from evolve.store import Store

    stats = Store(url).campaign("tight").stats
    rejected = Counter({k.split(":", 1)[1]: v for k, v in stats.items()
                        if k.startswith("rejected:")})
    assert sum(rejected.values()) > 0
    line = next(line for line in out.splitlines() if line.startswith("invalid offspring"))
    assert line == "invalid offspring rejected: " + ", ".join(
        f"{k} {v}" for k, v in sorted(rejected.items(), key=lambda i: -i[1]))
