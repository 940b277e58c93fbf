"""snntext.core.params: every params.yaml key refuses bad values with one line naming the file and the key.

Each bad config is the project's real params.yaml with ONE key changed, so a case fails only for
that key; `test_every_key_has_a_bad_value` keeps the table complete when params.yaml grows.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from snntext.core import params as params_module
from snntext.core.config import Config
from snntext.core.errors import SnntextError
from snntext.core.params import config_from_dict, load_config

PROJECT = Path(__file__).resolve().parents[2]
PARAMS_FILE = PROJECT / "params.yaml"
REAL = yaml.safe_load(PARAMS_FILE.read_text(encoding="utf-8"))
DELETE = object()  # a case value: remove the key


def with_value(dotted: str, value) -> dict:
    """The real params.yaml as a dict, with one dotted key set to value (or removed)."""
    data = copy.deepcopy(REAL)
    *parents, last = dotted.split(".")
    node = data
    for part in parents:
        node = node[part]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return data


def refusal(data: dict) -> str:
    with pytest.raises(SnntextError) as info:
        config_from_dict(data, "params.yaml")
    return str(info.value)


def refusal_with(data: dict, registry) -> str:
    with pytest.raises(SnntextError) as info:
        config_from_dict(data, "params.yaml", registry)
    return str(info.value)


# (dotted key, bad value, a fragment the message must hold: the requirement it breaks)
BAD = [
    # --- top level: run ---
    ("seed", -1, "must be >= 0 and <= 4294967295"),
    ("seed", 2**32, "must be >= 0 and <= 4294967295"),
    ("seed", "0", "must be an integer"),
    ("seed", 1.5, "must be an integer"),
    ("seed", True, "must be an integer"),
    ("seed", None, "must be an integer"),
    ("seeds", [1, 1], "lists a value twice"),
    ("seeds", [-1], "item 0 (-1) must be >= 0"),
    ("seeds", [0, 2**32], "item 1"),
    ("seeds", "0", "must be a list"),
    ("seeds", [True], "must be an integer"),
    ("datasets", ["x; echo hi > f #"], "must be a dataset name"),
    ("datasets", ["nosuch"], "names 'nosuch', which"),
    ("datasets", ["MR"], "must be a dataset name"),
    ("datasets", ["mr", "mr"], "lists a value twice"),
    ("datasets", [], "must be a non-empty list"),
    ("datasets", "mr", "must be a list"),
    ("datasets", [5], "must be a dataset name"),
    ("device", "tpu", "must be one of auto, cpu, cuda"),
    ("device", "cuda:0", "must be one of"),
    ("device", None, "must be one of"),
    # --- top level: neuron, encoding ---
    ("threshold", 0, "must be > 0"),
    ("threshold", -1, "must be > 0"),
    ("threshold", "high", "must be a finite number"),
    ("threshold", True, "must be a finite number"),
    ("threshold", None, "must be a finite number"),
    ("threshold", [1.0], "must be a finite number"),
    ("beta", 1.5, "must be > 0 and <= 1"),
    ("beta", 0, "must be > 0 and <= 1"),
    ("beta", "x", "must be a finite number"),
    ("timesteps", 0, "must be >= 1"),
    ("timesteps", -50, "must be >= 1"),
    ("timesteps", 2.5, "must be an integer"),
    ("timesteps", True, "must be an integer"),
    ("timesteps", 1000000, "must be >= 1 and <= 1000, got 1000000"),  # issue 31: an allocation error stages later
    ("neurons_per_class", 0, "must be >= 1"),
    ("neurons_per_class", "10", "must be an integer"),
    ("neurons_per_class", 10**8, "must be >= 1 and <= 1000"),
    ("surrogate", "relu", "must be one of fast_sigmoid, atan, sigmoid"),
    ("surrogate", 1, "must be one of"),
    ("surrogate_slope", 0, "must be > 0"),
    ("surrogate_slope", -25, "must be > 0"),
    ("surrogate_slope", "steep", "must be a finite number"),
    # --- prepare ---
    ("prepare.test_fraction", 1.0, "must be > 0 and < 1"),
    ("prepare.test_fraction", 0, "must be > 0 and < 1"),
    ("prepare.test_fraction", "tenth", "must be a finite number"),
    ("prepare.dev_fraction", -0.1, "must be > 0 and < 1"),
    ("prepare.dev_fraction", 1.0, "must be > 0 and < 1"),
    ("prepare.dev_fraction", 0, "must be > 0 and < 1"),  # issue 31: no dev set, train_dnn failed on it
    ("prepare.conflicting_duplicates", "merge", "must be one of keep, drop"),
    ("prepare.conflicting_duplicates", True, "must be one of keep, drop"),
    # --- embed ---
    ("embed.english", "synonyms-w2v-100d", "not a 'en' vector set"),
    ("embed.english", "nosuch-vectors", "not a 'en' vector set"),
    ("embed.english", "", "must be a non-empty string"),
    ("embed.english", 50, "must be a non-empty string"),
    ("embed.chinese", "glove-6b-50d", "not a 'zh' vector set"),
    ("embed.oov", "drop", "must be one of paper, zero"),
    ("embed.code", "binary", "must be one of shift, signed, latency"),
    ("embed.dead_zone", -0.5, "must be >= 0"),
    ("embed.dead_zone", "wide", "must be a finite number"),
    ("embed.dead_zone", 0.5, "embed.code is 'shift', which has no dead zone"),  # the real params: code shift
    ("embed.clip_sigma", 0, "must be > 0"),
    ("embed.clip_sigma", -1.5, "must be > 0"),
    ("embed.clip_sigma", "wide", "must be a finite number"),
    ("embed.compare", ["nosuch-vectors"], "names 'nosuch-vectors', which"),
    ("embed.compare", "spacy-md-300d", "must be a list"),
    ("embed.compare", [""], "must be a non-empty string"),
    # --- train_dnn (the tailored TextCNN) ---
    ("train_dnn.epochs", 0, "must be >= 1"),
    ("train_dnn.epochs", True, "must be an integer"),
    ("train_dnn.epochs", 1.5, "must be an integer"),
    ("train_dnn.epochs", 1001, "must be >= 1 and <= 1000"),
    ("train_dnn.patience", -1, "must be >= 0"),
    ("train_dnn.batch_size", 0, "must be >= 1"),
    ("train_dnn.batch_size", 4097, "must be >= 1 and <= 4096"),
    ("train_dnn.lr", 0, "must be > 0"),
    ("train_dnn.lr", -1e-3, "must be > 0"),
    ("train_dnn.lr", "fast", "must be a finite number"),
    ("train_dnn.lr", True, "must be a finite number"),
    ("train_dnn.lr", {}, "must be a number or a mapping"),
    ("train_dnn.lr", {"mr": 0.001}, "neither 'sst2' nor 'default'"),  # datasets include sst2
    ("train_dnn.lr", {"default": 0}, "entry 'default' must be > 0"),
    ("train_dnn.lr", {"default": 1e-3, "MR!": 1e-4}, "must be a dataset name"),
    ("train_dnn.weight_decay", -0.1, "must be >= 0"),
    ("train_dnn.dropout", 1.0, "must be >= 0 and < 1"),
    ("train_dnn.dropout", -0.1, "must be >= 0 and < 1"),
    ("train_dnn.zero_sum_filters", "yes", "must be true or false"),
    ("train_dnn.zero_sum_filters", 1, "must be true or false"),
    ("train_dnn.rate_code_steps", -1, "must be >= 0"),
    ("train_dnn.rate_code_steps", 2.5, "must be an integer"),
    ("train_dnn.rate_code_steps", 1001, "must be >= 0 and <= 1000"),
    ("train_dnn.kernel_sizes", [], "must be a non-empty list"),
    ("train_dnn.kernel_sizes", [0], "item 0 (0) must be >= 1"),
    ("train_dnn.kernel_sizes", 3, "must be a list"),
    ("train_dnn.kernel_sizes", [3, "4"], "item 1 ('4') must be an integer"),
    ("train_dnn.filters", 0, "must be >= 1"),
    ("train_dnn.filters", 1001, "must be >= 1 and <= 1000"),
    ("train_dnn.kernel_sizes", [3, 100], "a kernel of 100 tokens, longer than the max_len 25 of dataset 'sst2'"),
    # --- kim (Kim's TextCNN) ---
    ("kim.epochs", 0, "must be >= 1"),
    ("kim.patience", -1, "must be >= 0"),
    ("kim.batch_size", 0, "must be >= 1"),
    ("kim.lr", 0, "must be > 0"),
    ("kim.lr", {"mr": 0.001}, "neither 'sst2' nor 'default'"),
    ("kim.weight_decay", -1, "must be >= 0"),
    ("kim.dropout", 1.0, "must be >= 0 and < 1"),
    ("kim.kernel_sizes", [], "must be a non-empty list"),
    ("kim.kernel_sizes", [0], "must be >= 1"),
    ("kim.filters", 0, "must be >= 1"),
    ("kim.kernel_sizes", [26], "each kernel size must be <= 25, the shortest max_len of the datasets"),
    ("kim.epochs", 10**6, "must be >= 1 and <= 1000"),
    ("kim.batch_size", 10**6, "must be >= 1 and <= 4096"),
    # --- convert ---
    ("convert.normalisation", "max", "must be one of none, max_weight, data_max, data_p99.9"),
    ("convert.eval_batch_size", 0, "must be >= 1"),
    ("convert.eval_batch_size", "64", "must be an integer"),
    ("convert.eval_batch_size", 4097, "must be >= 1 and <= 4096"),
    # --- finetune ---
    ("finetune.epochs", -1, "must be >= 0"),
    ("finetune.lr", 0, "must be > 0"),
    ("finetune.lr", "fast", "must be a finite number"),
    ("finetune.weight_decay", -1, "must be >= 0"),
    ("finetune.batch_size", 0, "must be >= 1"),
    ("finetune.batch_size", 4097, "<= 4096"),
    ("finetune.epochs", 1001, "must be >= 0 and <= 1000"),
    ("finetune.loss", "mse", "must be one of paper, count, distill"),
    ("finetune.temperature", 0, "must be > 0"),
    ("finetune.patience", -1, "must be >= 0"),
    ("finetune.zero_sum_filters", "no", "must be true or false"),
    ("finetune.zero_sum_filters", None, "must be true or false"),
    ("finetune.precision", "fp16", "must be one of fp32, bf16"),
    ("finetune.dev_draws", 0, "must be >= 1"),
    ("finetune.test_draws", 0, "must be >= 1"),
    ("finetune.test_draws", 101, "must be >= 1 and <= 100"),
    ("finetune.dev_draws", 1000, "must be >= 1 and <= 100"),
    ("direct.epochs", 0, "must be >= 1"),
    ("direct.lr", 0, "must be > 0"),
    ("direct.loss", "distill", "must be one of paper, count"),
    ("direct.beta", 1.5, "must be > 0 and <= 1"),
    ("direct.dev_draws", 0, "must be >= 1"),
    ("direct.dev_draws", 101, "must be >= 1 and <= 100"),
    ("direct.epochs", 1001, "must be >= 1 and <= 1000"),
    ("direct.weight_decay", -1, "must be >= 0"),
    ("direct.batch_size", 0, "must be >= 1"),
    ("direct.batch_size", 4097, "<= 4096"),
    ("direct.temperature", 0, "must be > 0"),
    ("direct.patience", -1, "must be >= 0"),
    ("direct.zero_sum_filters", "yes", "must be true or false"),
    ("finetune.max_train_examples", -1, "must be >= 0"),  # known key, absent from params.yaml
    # --- sweep ---
    ("sweep.timesteps", [], "must be a non-empty list"),
    ("sweep.timesteps", [0], "must be >= 1"),
    ("sweep.timesteps", [50, 100000], "item 1 (100000) must be >= 1 and <= 1000"),
    ("sweep.timesteps", "50", "must be a list"),
    ("sweep.splits", ["val"], "must be one of train, dev, test"),
    ("sweep.splits", ["test", "test"], "lists a value twice"),
    ("sweep.splits", [], "must be a non-empty list"),
    ("sweep.batch_size", 0, "must be >= 1"),
    ("sweep.batch_size", 4097, "<= 4096"),
    # --- attack ---
    ("attack.examples", 0, "must be >= 1"),
    ("attack.examples", 10001, "must be >= 1 and <= 10000"),
    ("attack.recipes", ["hotflip"], "item 0 ('hotflip') must be one of deepwordbug"),
    ("attack.recipes", [], "must be a non-empty list"),
    ("attack.recipes", ["pwws", "pwws"], "lists a value twice"),
    ("attack.models", ["bert"], "must be one of dnn, kim, snn, snn_stochastic, snn_eot"),
    ("attack.models", ["snn_eot", "snn_eot"], "lists a value twice"),
    ("attack.spike_samples", 0, "must be >= 1"),
    ("attack.spike_samples", 101, "must be >= 1 and <= 100"),
    ("attack.eot_draws", 0, "must be >= 1"),
    ("attack.eot_draws", 101, "must be >= 1 and <= 100"),
    ("attack.eot_draws", 2.5, "must be an integer"),
    ("attack.eot_draws", True, "must be an integer"),
    ("attack.similarity", 2, "must be >= -1 and <= 1"),
    ("attack.similarity", -1.5, "must be >= -1 and <= 1"),
    ("attack.similarity", "high", "must be a finite number"),
    ("attack.batch_size", 0, "must be >= 1"),
    ("attack.batch_size", 4097, "<= 4096"),
    ("attack.backend", "dask", "must be one of local, ray"),
    ("attack.workers", -1, "must be >= 0"),
    ("attack.workers", 100000, "must be >= 0 and <= 1024, got 100000"),
    ("attack.shard_size", 0, "must be >= 1"),
    ("attack.shard_size", 10001, "<= 10000"),
    ("attack.retries", -1, "must be >= 0"),
    ("attack.retries", 101, "must be >= 0 and <= 100"),
    # non-finite numbers, and a per-dataset learning rate for a dataset the registry does not know
    ("threshold", float("inf"), "must be a finite number"),
    ("embed.clip_sigma", ".inf", "must be a finite number"),
    ("train_dnn.lr", {"default": 1e-3, "sts2": 5e-4}, "names 'sts2', which"),
]


@pytest.mark.parametrize(("key", "value", "requirement"), BAD, ids=[f"{key}={value!r}" for key, value, _ in BAD])
def test_bad_value_names_file_and_key(key, value, requirement):
    message = refusal(with_value(key, value))
    print(message)
    assert "\n" not in message and "\r" not in message, message
    assert re.match(rf"params\.yaml: key '{re.escape(key)}' ", message), message
    assert requirement in message, message


def with_values(**dotted) -> dict:
    """The real params.yaml with several keys set (double underscores for dots: embed__code)."""
    data = copy.deepcopy(REAL)
    for key, value in dotted.items():
        *parents, last = key.split("__")
        node = data
        for part in parents:
            node = node[part]
        node[last] = value
    return data


@pytest.mark.parametrize("code", ["signed", "latency"])
def test_dead_zone_is_accepted_with_the_signed_codes_below_the_clip(code):
    clip = REAL["embed"]["clip_sigma"]
    config = config_from_dict(with_values(embed__code=code, embed__dead_zone=clip / 3), "params.yaml", False)
    assert (config.embed.code, config.embed.dead_zone) == (code, clip / 3)
    assert "must be < embed.clip_sigma" in refusal(with_values(embed__code=code, embed__dead_zone=clip))
    assert config_from_dict(with_values(embed__code=code), "params.yaml", False).embed.dead_zone == 0.0


@pytest.mark.parametrize(
    ("key", "steps", "ok"),
    [("timesteps", 1, False), ("timesteps", 2, True), ("train_dnn__rate_code_steps", 1, False)]
    + [("train_dnn__rate_code_steps", 0, True), ("train_dnn__rate_code_steps", 2, True)],
)
def test_latency_code_needs_two_steps(key, steps, ok):
    data = with_values(embed__code="latency", **{key: steps})
    if ok:
        assert config_from_dict(data, "params.yaml", False).embed.code == "latency"
    else:
        message = refusal(data)
        assert f"key '{key.replace('__', '.')}' is 1, but embed.code latency needs >= 2 steps" in message
    assert config_from_dict(with_values(embed__code="signed", **{key: steps}), "params.yaml", False)  # rate codes: any


def test_every_key_has_a_bad_value():
    """Every key of the real params.yaml, and every key the loader knows, has a case above."""
    covered = {key for key, _, _ in BAD}
    in_file = set(params_module._leaf_keys(REAL))
    assert in_file - covered == set()
    assert params_module._known_keys() - covered == set()


def test_real_params_file_loads():
    config = load_config(PARAMS_FILE)
    assert isinstance(config, Config)
    assert config.source == str(PARAMS_FILE)
    assert config.run.datasets == tuple(REAL["datasets"])
    assert config.neuron.threshold == REAL["threshold"]
    assert config.encoding.timesteps == REAL["timesteps"]
    assert config.finetune.timesteps == REAL["timesteps"]  # the top-level T
    assert config.finetune.eval_batch_size == REAL["convert"]["eval_batch_size"]
    assert config.attack.seed == REAL["seed"] and config.attack.device == REAL["device"]
    assert config.train_dnn.neurons_per_class == REAL["neurons_per_class"]
    assert config.raw == REAL  # what the report shows


def test_snn_eot_is_an_attack_model_and_eot_draws_defaults_to_8():
    config = config_from_dict(with_value("attack.models", ["dnn", "snn", "snn_stochastic", "snn_eot"]), "params.yaml")
    assert config.attack.models == ("dnn", "snn", "snn_stochastic", "snn_eot")
    assert config.attack.eot_draws == REAL["attack"]["eot_draws"] == 8
    assert "snn_eot" not in REAL["attack"]["models"]  # the committed run attacks dnn, snn, snn_stochastic
    assert config_from_dict(with_value("attack.eot_draws", DELETE), "params.yaml").attack.eot_draws == 8
    assert config_from_dict(with_value("attack.eot_draws", 100), "params.yaml").attack.eot_draws == 100


def test_real_params_dict_loads_without_registry():
    config = config_from_dict(copy.deepcopy(REAL), "params.yaml", registry=False)
    assert config.embed.english == REAL["embed"]["english"]


@pytest.mark.parametrize(
    ("key", "near"),
    [
        ("treshold", "threshold"),
        ("train_dnn.epoch", "train_dnn.epochs"),
        ("finetune.dev_draw", "finetune.dev_draws"),
        ("kim.zero_sum_filters", None),  # a tailored-net-only key: not known under kim
    ],
)
def test_unknown_key_is_refused(key, near):
    data = copy.deepcopy(REAL)
    *parents, last = key.split(".")
    node = data
    for part in parents:
        node = node[part]
    node[last] = 1
    message = refusal(data)
    assert "\n" not in message
    assert message.startswith(f"params.yaml: unknown key '{key}'"), message
    if near:
        assert f"did you mean '{near}'" in message, message


def test_unknown_key_far_from_any_lists_the_known_ones_on_one_line():
    data = copy.deepcopy(REAL)
    data["zzzz_qqqq"] = 1
    message = refusal(data)
    assert "\n" not in message
    assert message.startswith("params.yaml: unknown key 'zzzz_qqqq'; known keys: "), message
    assert "train_dnn.lr" in message and "attack.similarity" in message


@pytest.mark.parametrize(
    "key",
    [
        "datasets",
        "embed.english",
        "embed.chinese",
        "train_dnn.epochs",
        "kim.lr",
        "sweep.timesteps",
        "attack.examples",
        "attack.recipes",
        "attack.similarity",
    ],
)
def test_missing_required_key_is_named(key):
    message = refusal(with_value(key, DELETE))
    assert message == f"params.yaml: missing key '{key}'"


def test_missing_section_names_its_first_required_key():
    data = copy.deepcopy(REAL)
    del data["sweep"]
    assert refusal(data) == "params.yaml: missing key 'sweep.timesteps'"


@pytest.mark.parametrize(
    "key",
    ["seeds", "train_dnn.rate_code_steps", "finetune.precision", "attack.batch_size", "prepare.conflicting_duplicates"],
)
def test_key_with_default_may_be_left_out(key):
    config_from_dict(with_value(key, DELETE), "params.yaml")


@pytest.mark.parametrize("key", ["train_dnn.lr", "kim.lr", "finetune.lr", "finetune.weight_decay"])
def test_yaml11_exponent_strings_are_numbers(key):
    """PyYAML reads 1e-3 (no dot) as the string '1e-3'; it is taken as 0.001."""
    assert yaml.safe_load("lr: 1e-3")["lr"] == "1e-3"
    config = config_from_dict(with_value(key, "1e-3"), "params.yaml")
    section, name = key.split(".")
    value = getattr(getattr(config, section), name)
    assert value == 0.001 and isinstance(value, float)


def test_ints_are_accepted_for_float_keys():
    data = with_value("surrogate_slope", 25)
    data["threshold"] = 1
    data["attack"]["similarity"] = 1
    config = config_from_dict(data, "params.yaml")
    assert config.neuron.surrogate_slope == 25.0 and type(config.neuron.surrogate_slope) is float
    assert type(config.neuron.threshold) is float
    assert type(config.attack.similarity) is float


@pytest.mark.parametrize("key", ["train_dnn.epochs", "timesteps", "seed", "attack.examples"])
def test_bool_is_not_an_integer(key):
    message = refusal(with_value(key, True))
    assert message == f"params.yaml: key '{key}' must be an integer, got True"


def test_seeds_null_means_just_seed():
    config = config_from_dict(with_value("seeds", None), "params.yaml")
    assert config.run.seeds == () and config.run.finetune_seeds == [REAL["seed"]]


def test_lists_become_tuples_and_sweep_timesteps_sorted():
    config = config_from_dict(with_value("sweep.timesteps", [100, 1, 50, 1]), "params.yaml")
    assert config.sweep.timesteps == (1, 50, 100)
    assert isinstance(config.train_dnn.kernel_sizes, tuple)


def test_per_dataset_learning_rate_is_accepted_and_resolved():
    lr = {"default": "1e-3", "sst2": 5e-4}
    config = config_from_dict(with_value("train_dnn.lr", lr), "params.yaml")
    assert config.train_dnn.for_dataset("sst2").lr == 5e-4
    assert config.train_dnn.for_dataset("mr").lr == 0.001


def test_per_dataset_learning_rate_without_default_when_every_dataset_has_one():
    data = with_value("datasets", ["mr", "sst2"])
    data["kim"]["lr"] = {"mr": 1e-3, "sst2": 2e-4}
    config = config_from_dict(data, "params.yaml")
    assert config.kim.for_dataset("sst2").lr == 2e-4


# --- the file itself ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, line",
    [
        ("seed: 0\nthreshold: [1.0\nbeta: 1\n", 3),  # unclosed bracket
        ("seed: 0\nprepare:\n  test_fraction: 0.1\n\tdev_fraction: 0.1\n", 4),  # tab indentation
    ],
)
def test_invalid_yaml_names_the_line(tmp_path, text, line):
    path = tmp_path / "params.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SnntextError) as info:
        load_config(path)
    message = str(info.value)
    assert "\n" not in message
    assert re.match(rf"{re.escape(str(path))} line {line}: not valid YAML \(", message), message


def test_bad_value_in_a_file_names_that_file(tmp_path):
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(with_value("threshold", 0)), encoding="utf-8")
    with pytest.raises(SnntextError) as info:
        load_config(path)
    assert str(info.value) == f"{path}: key 'threshold' must be > 0, got 0"


def test_top_level_list_is_refused(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("- seed\n- 0\n", encoding="utf-8")
    with pytest.raises(SnntextError, match=r"expected a mapping of keys at the top level$"):
        load_config(path)


def test_missing_file_is_named(tmp_path):
    path = tmp_path / "nope.yaml"
    with pytest.raises(SnntextError, match=rf"^{re.escape(str(path))}: params file not found$"):
        load_config(path)


def test_non_utf8_file_is_refused(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_bytes(b"seed: 0\nthreshold: \xff\n")
    with pytest.raises(SnntextError, match=r"not UTF-8 text"):
        load_config(path)


def test_a_key_given_twice_names_the_line(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("seed: 0\nbeta: 1\nbeta: 0.5\n", encoding="utf-8")
    with pytest.raises(
        SnntextError, match=rf"{re.escape(str(path))} line 3: not valid YAML \(key 'beta' is given twice\)"
    ):
        load_config(path)


@pytest.mark.parametrize("section, value", [("embed", None), ("prepare", 5), ("finetune", [1])])
def test_a_section_that_is_not_a_mapping_says_so(section, value):
    message = refusal(with_value(section, value))
    assert message.startswith(f"params.yaml: key '{section}' must be a section (a mapping of keys)"), message


def test_a_dataset_name_with_a_trailing_newline_is_refused():
    message = refusal(with_value("datasets", ["mr\n"]))
    assert message.startswith("params.yaml: key 'datasets' item 0"), message


# --- issue 31: what one key cannot tell alone, and upper bounds -----------------------------------
@pytest.mark.parametrize(
    ("test", "dev", "ok"),
    [(0.1, 0.1, True), (0.9, 0.5, True), (0.5, 0.9, True), (0.99, 0.99, False), (0.9, 0.6, False)],
)
def test_split_fractions_must_leave_a_share_to_train_on(test, dev, ok):
    data = with_value("prepare.test_fraction", test)
    data["prepare"]["dev_fraction"] = dev
    if ok:
        config_from_dict(data, "params.yaml")
        return
    message = refusal(data)
    assert message.startswith(
        f"params.yaml: keys 'prepare.test_fraction' ({test}) and 'prepare.dev_fraction' ({dev}) leave "
    ), message
    assert message.endswith("of a dataset to train on; (1 - test_fraction) * (1 - dev_fraction) must be >= 0.05")


def test_kernels_are_checked_against_every_dataset_run(tmp_path):
    from snntext.core.registry import load_registry
    from tests.data.test_user_datasets import entry, user_file

    registry = load_registry(params_module.paths.SOURCES_FILE, user_file(tmp_path, {"q": entry(max_len=4)}))
    data = with_value("datasets", ["mr", "q"])
    message = refusal_with(data, registry)
    assert message == (
        "params.yaml: key 'train_dnn.kernel_sizes' has a kernel of 5 tokens, longer than the max_len 4 of dataset "
        f"'q' ({tmp_path / 'datasets.yaml'}); each kernel size must be <= 4, the shortest max_len of the datasets "
        "in 'datasets'"
    )
    data["train_dnn"]["kernel_sizes"] = [2, 4]
    assert "'kim.kernel_sizes' has a kernel of 5 tokens" in refusal_with(data, registry)
    data["kim"]["kernel_sizes"] = [4]
    config_from_dict(data, "params.yaml", registry)  # a kernel as long as max_len is fine
    config_from_dict(with_value("datasets", ["mr"]), "params.yaml", registry)  # q not run: not checked
    broken = load_registry(params_module.paths.SOURCES_FILE, user_file(tmp_path, {"q": entry(max_len=4, colour=1)}))
    config_from_dict(with_value("datasets", ["mr", "q"]), "params.yaml", broken)  # its own stages say why


def test_params_file_with_a_bad_byte_or_a_folder_names_it(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_bytes(b"seed: 0\n# caf\xe9\nthreshold: 1\n")
    with pytest.raises(SnntextError) as info:
        load_config(path)
    assert str(info.value) == (
        f"{path} line 2: not UTF-8 text (invalid continuation byte at byte 13); save the file as UTF-8"
    )
    path.unlink()
    path.mkdir()
    with pytest.raises(SnntextError, match=rf"^{re.escape(str(path))}: is a folder, not a YAML file$"):
        load_config(path)


def test_an_unreadable_datasets_yaml_is_named_first(tmp_path):
    from snntext.core.registry import load_registry
    from tests.data.test_user_datasets import user_file

    user = user_file(tmp_path, None, "datasets:\n  q: {}\n  q: {}\n")
    registry = load_registry(params_module.paths.SOURCES_FILE, user)
    message = refusal_with(with_value("datasets", ["mr", "q"]), registry)
    assert message == (
        f"{user} line 3: not valid YAML (key 'q' is given twice) (params.yaml key 'datasets' names 'q', which "
        f"{params_module.paths.SOURCES_FILE} does not define, so it must come from {user})"
    )
    config_from_dict(with_value("datasets", ["mr"]), "params.yaml", registry)  # the shipped datasets still run
