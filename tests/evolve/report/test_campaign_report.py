"""evolve report --campaign: the best cells of a campaign beside seeds scored its way."""

from __future__ import annotations

import json

import pytest

from evolve.campaign import Campaign, load_config
from evolve.cli import main
from evolve.store import CampaignStatus, Store
from genome import seeds
from tests.evolve.campaign.conftest import TINY

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    directory = tmp_path_factory.mktemp("campaign-report")
    url = f"sqlite:///{directory / 'evolve.db'}"
    store = Store(url)
    Campaign.create(store, "tiny", load_config("smoke", **TINY), seed=3).run()
    store.close()
    return url, directory


def test_seeds_are_scored_like_candidates_without_joining(finished):
    url, _ = finished
    store = Store(url)
    campaign = Campaign.open(store, "tiny")
    members_before = {m.genome_hash for m in store.members("tiny")}
    scores = campaign.score_genomes(["gru", "lstm_b"])
    assert scores["gru"] == pytest.approx(1.0)  # the reference against itself
    # lstm_b's score is its memorization accuracy over gru's, from the stored evaluations.
    protocol = campaign.protocols["memorization"].hash
    seed = campaign.training_seeds[0]

    def accuracy(name):
        record = next(e for e in store.evaluations(seeds.get(name).hash)
                      if e.protocol_hash == protocol and e.seed == seed)
        return record.metrics["value"]

    assert scores["lstm_b"] == pytest.approx(accuracy("lstm_b") / accuracy("gru"))
    assert {m.genome_hash for m in store.members("tiny")} == members_before
    assert store.campaign("tiny").status is CampaignStatus.FINISHED
    store.close()


def test_report_writes_the_best_cells_the_seeds_and_a_plot(finished, capsys):
    url, directory = finished
    out = directory / "results"
    assert main(["report", "--campaign", "tiny", "--db", url, "--out", str(out),
                 "--cells", "gru,lstm_b", "--executor", "inline", "--k", "3"]) == 0
    text = (out / "campaign-tiny.md").read_text()
    numbers = json.loads((out / "campaign-tiny.json").read_text())
    store = Store(url)
    best = store.best(campaign="tiny", k=3)
    assert [row["hash"] for row in numbers["best"]] == [row.hash for row in best]
    assert f"| 1 | {best[0].score:.3f} |" in text
    assert str(best[0].genome).splitlines()[0] in text
    assert set(numbers["seed_scores"]) == {"gru", "lstm_b"}
    assert "| `gru` | 1.000 |" in text
    # Each listed cell's memorization value is its stored validation accuracy.
    gru = next(e for e in store.evaluations(seeds.get("gru").hash)
               if e.status.value == "done" and e.seed in Campaign.open(store, "tiny")
               .training_seeds)
    assert numbers["seed_values"]["gru"]["memorization"] == pytest.approx(gru.metrics["value"])
    assert (out / "plots" / "campaign-tiny.png").read_bytes()[:8] == PNG
    assert numbers["candidates"] == len(store.members("tiny"))
    store.close()


def test_report_on_a_report_or_an_unknown_campaign_is_one_clear_line(finished, capsys,
                                                                     tmp_path):
    url, _ = finished
    assert main(["report", "--campaign", "nope", "--db", url, "--out", str(tmp_path)]) == 1
    assert "nope" in capsys.readouterr().err
    assert main(["report", "--db", url, "--name", "tiny", "--cells", "gru", "--tasks",
                 "memorization", "--preset", "smoke", "--out", str(tmp_path),
                 "--executor", "inline"]) == 1
    err = capsys.readouterr().err
    assert "'tiny' is an evolution campaign" in err and len(err.strip().splitlines()) == 1


def test_a_report_that_cannot_run_creates_no_database(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'never.db'}"
    code = main(["report", "--db", url, "--cells", "gru", "--tasks", "ptb-char",
                 "--data-dir", str(tmp_path / "no-ptb-here"), "--out", str(tmp_path / "out")])
    assert code == 1
    assert "ptb-char" in capsys.readouterr().err
    assert not (tmp_path / "never.db").exists() and not (tmp_path / "out").exists()
    assert main(["report", "--db", "sqlite:///", "--cells", "gru", "--tasks",
                 "memorization", "--out", str(tmp_path / "out")]) == 1
    assert "in-memory" in capsys.readouterr().err
