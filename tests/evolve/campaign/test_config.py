import pytest

from evolve.campaign import PRESETS, CampaignConfig, ConfigError, load_config


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_presets_are_valid_and_round_trip(preset):
    config = load_config(preset)
    assert CampaignConfig.from_dict(config.to_dict()) == config
    assert config.protocols()
    assert config.initial_seeds()


def test_toml_file_overrides_the_preset(tmp_path):
    path = tmp_path / "campaign.toml"
    path.write_text(
        'strategy = "nsga2"\nbudget = 12\n'
        '[search]\npopulation = 6\n'
        '[tasks.memorization]\npreset = "smoke"\nscreen = true\nthreshold = 0.8\n'
        '[tasks.xml]\npreset = "smoke"\noverrides = { units = 8 }\n')
    config = load_config("quick", path)
    assert config.strategy == "nsga2" and config.budget == 12
    assert config.search.population == 6
    assert [t.task for t in config.tasks] == ["memorization", "xml"]
    assert config.tasks[0].screen and config.tasks[0].threshold == 0.8
    assert config.protocols()["xml"].units == 8


@pytest.mark.parametrize(("text", "message"), [
    ('strategy = "annealing"', "strategy 'annealing' unknown"),
    ("budget = 0", "budget must be an integer from 1"),
    ("[limits]\nmax_height = -1", "limits.max_height must be an integer from 1 to 64"),
    ("[tasks.memorization]\nthreshold = \"high\"",
     "tasks.memorization.threshold must be a number"),
    ("[tasks.xml]\noverrides = { task_params = { lenght = 64 } }",
     "tasks.xml: task_params: bad parameter"),
    ("[search]\ncrossover_rate = 2", "search.crossover_rate must be between 0 and 1"),
    ("populaton = 3", "unknown campaign key.*populaton"),
    ("[search]\npopulaton = 3", r"unknown key\(s\) search\.populaton; the keys of search are "
                                 r"crossover_rate, population"),
    ('[tasks.copy]\npreset = "smoke"', "tasks.copy: task 'copy' unknown"),
    ('[tasks.memorization]\noverrides = { units = -1 }', "units must be an integer from 1"),
    ('initial = ["lstn"]', r"initial: unknown seed\(s\) \['lstn'\]"),
    ('reference = "gruu"', "reference 'gruu' is not a seed"),
    ("budget = [", "is not valid TOML"),
    # Wrong types are named by key, with what they got and what is allowed (they
    # used to surface as "'int' object is not iterable").
    ("initial = 5", r"initial must be 'seeds', 'random' or a non-empty list of seed names, "
                    r"got 5 \(an integer\)"),
    ("initial = []", r"initial must be .* non-empty list of seed names, got an empty list; "
                     r"the seeds are rnn, gru"),
    ("tasks = 5", r"tasks must be tables \[tasks\.NAME\] .*, got 5 \(an integer\)"),
    ("tasks = { xml = 5 }", r"tasks\.xml must be a table of task keys .*, got 5 \(an integer\)"),
    ("tasks = [5]", r"tasks\[0\] must be a table of keys, got 5"),
    ('[[tasks]]\npreset = "smoke"', r"tasks\[0\]: missing key task"),
    ("operator_weights = 5", r"operator_weights must be a table of operator names and weights "
                             r".*got 5 \(an integer\); the operators are mut_uniform"),
    ('operator_weights = { crossover = "a" }',
     r"operator_weights\.crossover must be a number >= 0, got 'a' \(a string\)"),
    ("[tasks.xml]\noverrides = { task_params = 5 }",
     r"tasks\.xml\.overrides\.task_params must be a table of task parameters .*got 5"),
    ("[tasks.xml]\noverrides = 5", r"tasks\.xml\.overrides must be a table of protocol fields"),
    ('[tasks.xml]\noverrides = { task = "memorization" }',
     r"tasks\.xml\.overrides\.task: the task cannot be overridden"),
    ('[tasks.xml]\noverrides = { preset = "smoke" }',
     r"tasks\.xml\.overrides\.preset: not a protocol field; set tasks\.xml\.preset instead"),
    ("[tasks.xml]\npreset = []", r"tasks\.xml\.preset must be one of smoke, quick, ptb, got \[\]"),
    ('strategy = ["nsga2"]', r"strategy \['nsga2'\] unknown; the strategies are"),
    # A key is named as the file writes it: tasks.xml, not its position in the list.
    ("[tasks.xml]\nfoo = 1", r"unknown key\(s\) tasks\.xml\.foo; the keys of tasks\.xml are "
                             r"overrides, preset, screen, threshold, weight$"),
    ('[[tasks]]\ntask = "xml"\nfoo = 1', r"unknown key\(s\) tasks\[0\]\.foo"),
    ('[tasks.xml]\ntask = "memorization"',
     r"tasks\.xml\.task: a \[tasks\.NAME\] table is the task NAME, got task = 'memorization'"),
])
def test_bad_config_names_the_file_and_key(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as caught:
        load_config("smoke", path)
    assert str(path) in str(caught.value)


def test_non_utf8_file_is_named_with_the_line(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes("budget = 3\n# café\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r"latin1\.toml is not valid TOML: line 2: byte 0xe9 "
                                          r"is not UTF-8"):
        load_config("smoke", path)


def test_task_table_may_repeat_its_own_name(tmp_path):
    path = tmp_path / "campaign.toml"
    path.write_text('[tasks.xml]\ntask = "xml"\npreset = "smoke"\n')
    assert [t.task for t in load_config("smoke", path).tasks] == ["xml"]


def test_unknown_preset_and_missing_file():
    with pytest.raises(ConfigError, match="unknown preset 'huge'"):
        load_config("huge")
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config("smoke", "/nonexistent/campaign.toml")


def test_square_input_seeds_are_dropped_when_the_embedding_differs():
    config = load_config("quick", tasks=[{"task": "memorization", "preset": "smoke",
                                          "overrides": {"embedding": 7}}])
    assert not config.allow_square_input
    assert "mut1" not in config.initial_seeds() and "gru" in config.initial_seeds()


def test_training_seeds_follow_the_campaign_seed():
    config = load_config("smoke", training_seeds=3)
    assert config.training_seed_values(1) == config.training_seed_values(1)
    assert config.training_seed_values(1) != config.training_seed_values(2)
    assert len(set(config.training_seed_values(1))) == 3


def test_a_deeply_nested_file_is_a_config_error(tmp_path):
    path = tmp_path / "deep.toml"
    path.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(ConfigError, match=r"deep\.toml: arrays or tables nested too deeply"):
        load_config("smoke", path)
