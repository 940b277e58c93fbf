"""Bootstrap statistics of attack outcomes on strings small enough to check by hand."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from snntext.attack.statistics import LESS, MORE, SAME, pooled_statistics, recipe_statistics


def random_outcomes(rng, n, shares=(0.5, 0.3, 0.2)) -> str:
    return "".join(rng.choice(list("SFK"), size=n, p=shares))


def intervals(node):
    """Every {"value", "low", "high"} in a statistics dict."""
    if isinstance(node, dict):
        if set(node) == {"value", "low", "high"}:
            yield node
        else:
            for child in node.values():
                yield from intervals(child)


def test_all_failed_against_all_successful_is_more_robust_with_a_point_interval():
    stats = recipe_statistics({"dnn": {"pwws": "S" * 40}, "snn": {"pwws": "F" * 40}})
    dnn, snn = stats["recipes"]["pwws"]["models"]["dnn"], stats["recipes"]["pwws"]["models"]["snn"]
    assert dnn["clean_accuracy"] == snn["clean_accuracy"] == {"value": 1.0, "low": 1.0, "high": 1.0}
    assert dnn["accuracy_under_attack"] == {"value": 0.0, "low": 0.0, "high": 0.0}
    assert snn["accuracy_under_attack"] == {"value": 1.0, "low": 1.0, "high": 1.0}
    assert dnn["success_rate"]["value"] == 1.0 and snn["success_rate"]["value"] == 0.0
    versus = stats["recipes"]["pwws"]["vs_reference"]
    assert versus == {"snn": {"difference_points": {"value": 100.0, "low": 100.0, "high": 100.0}, "verdict": MORE}}
    assert stats["examples"] == 40 and stats["reference"] == "dnn"


def test_reference_more_robust_than_the_model_reads_less_robust():
    stats = recipe_statistics({"dnn": {"pwws": "F" * 30}, "snn": {"pwws": "S" * 30}})
    assert stats["recipes"]["pwws"]["vs_reference"]["snn"]["verdict"] == LESS


def test_identical_outcomes_give_exactly_zero_and_no_detectable_difference():
    text = random_outcomes(np.random.default_rng(3), 250)
    stats = recipe_statistics(
        {"dnn": {"pwws": text, "textfooler": text[::-1]}, "snn": {"pwws": text, "textfooler": text[::-1]}}
    )
    for entry in (stats["recipes"]["pwws"], stats["recipes"]["textfooler"], stats["all_recipes"]):
        assert entry["vs_reference"]["snn"] == {
            "difference_points": {"value": 0.0, "low": 0.0, "high": 0.0},
            "verdict": SAME,
        }
        assert entry["models"]["dnn"] == entry["models"]["snn"]


def test_a_gain_within_the_noise_is_no_detectable_difference():
    # one example of 20 differs: +5 points, but a third of the resamples do not draw it
    dnn = "S" * 10 + "F" * 10
    snn = "F" + "S" * 9 + "F" * 10
    versus = recipe_statistics({"dnn": {"r": dnn}, "snn": {"r": snn}})["recipes"]["r"]["vs_reference"]["snn"]
    assert versus["difference_points"]["value"] == pytest.approx(5.0)
    assert versus["difference_points"]["low"] == 0.0 and versus["verdict"] == SAME
    backwards = recipe_statistics({"dnn": {"r": snn}, "snn": {"r": dnn}})["recipes"]["r"]["vs_reference"]["snn"]
    assert backwards["difference_points"]["high"] == 0.0 and backwards["verdict"] == SAME


def test_counts_give_the_three_rates():
    # 4 S, 3 F, 3 K: clean 7/10, under attack 3/10, success 4/7
    models = recipe_statistics({"dnn": {"r": "SSSSFFFKKK"}})["recipes"]["r"]["models"]["dnn"]
    assert models["clean_accuracy"]["value"] == pytest.approx(0.7)
    assert models["accuracy_under_attack"]["value"] == pytest.approx(0.3)
    assert models["success_rate"]["value"] == pytest.approx(4 / 7)


def test_every_interval_contains_its_point_estimate():
    rng = np.random.default_rng(0)
    per_dataset = {
        ds: {
            m: {r: random_outcomes(rng, n) for r in ("pwws", "textfooler", "deepwordbug")}
            for m in ("dnn", "snn", "snn_stochastic")
        }
        for ds, n in (("mr", 120), ("subj", 80))
    }
    found = [i for ds, o in per_dataset.items() for i in intervals(recipe_statistics(o, dataset=ds))]
    found += list(intervals(pooled_statistics(per_dataset)))
    assert len(found) > 50
    for interval in found:
        assert interval["low"] <= interval["value"] <= interval["high"], interval


def test_pairing_makes_the_difference_interval_narrow():
    # the same 300 examples, half flipped, half robust; the SNN resists 10 of the DNN's successful attacks
    dnn = "SF" * 150
    snn = "".join("F" if i < 20 and c == "S" else c for i, c in enumerate(dnn))
    assert sum(a != b for a, b in zip(dnn, snn)) == 10
    stats = recipe_statistics({"dnn": {"pwws": dnn}, "snn": {"pwws": snn}})["recipes"]["pwws"]
    difference = stats["vs_reference"]["snn"]["difference_points"]
    assert difference["value"] == pytest.approx(100 * 10 / 300)
    assert difference["low"] > 0 and stats["vs_reference"]["snn"]["verdict"] == MORE
    # each model alone is uncertain by several points: their intervals overlap, and an unpaired
    # difference (independent resamples) would be wider than either; the paired one is far narrower
    dnn_under, snn_under = (stats["models"][m]["accuracy_under_attack"] for m in ("dnn", "snn"))
    assert snn_under["low"] < dnn_under["high"]
    single_width = 100 * min(dnn_under["high"] - dnn_under["low"], snn_under["high"] - snn_under["low"])
    assert difference["high"] - difference["low"] < 0.5 * single_width


def test_success_rate_is_none_when_nothing_was_attacked_and_skips_undefined_resamples():
    stats = recipe_statistics({"dnn": {"r": "K" * 10}, "snn": {"r": "SKKKKKKKKK"}})["recipes"]["r"]["models"]
    assert stats["dnn"]["success_rate"] == {"value": None, "low": None, "high": None}
    # about a third of the resamples draw no S (undefined); every other one gives 1
    assert stats["snn"]["success_rate"] == {"value": 1.0, "low": 1.0, "high": 1.0}


def test_all_recipes_is_the_mean_over_recipes_every_model_ran():
    outcomes = {"dnn": {"a": "FFSS", "b": "FSSS", "pso": "FFFF"}, "snn": {"a": "FFFS", "b": "FFSS"}}
    stats = recipe_statistics(outcomes)
    assert list(stats["recipes"]) == ["a", "b", "pso"]
    assert stats["recipes"]["pso"]["vs_reference"] == {}  # only the DNN ran it: nothing to pair
    overall = stats["all_recipes"]
    assert overall["recipes"] == ["a", "b"]
    assert overall["models"]["dnn"]["accuracy_under_attack"]["value"] == pytest.approx((2 / 4 + 1 / 4) / 2)
    assert overall["models"]["snn"]["accuracy_under_attack"]["value"] == pytest.approx((3 / 4 + 2 / 4) / 2)
    assert overall["vs_reference"]["snn"]["difference_points"]["value"] == pytest.approx(25.0)
    assert overall["models"]["dnn"]["success_rate"]["value"] == pytest.approx(5 / 8)


def test_same_seed_same_result_other_seed_other_intervals():
    rng = np.random.default_rng(5)
    outcomes = {m: {"pwws": random_outcomes(rng, 60)} for m in ("dnn", "snn")}
    first, again = recipe_statistics(outcomes, seed=7), recipe_statistics(outcomes, seed=7)
    assert first == again
    other = recipe_statistics(outcomes, seed=8)
    assert (
        other["recipes"]["pwws"]["models"]["dnn"]["clean_accuracy"]["value"]
        == first["recipes"]["pwws"]["models"]["dnn"]["clean_accuracy"]["value"]
    )
    assert other != first
    assert pooled_statistics({"mr": outcomes}, seed=7) == pooled_statistics({"mr": outcomes}, seed=7)


@pytest.mark.parametrize(
    "outcomes, message",
    [
        ({"dnn": {"pwws": "SFX"}, "snn": {"pwws": "SFK"}}, "dataset 'mr', model 'dnn', recipe 'pwws': .*'X'"),
        ({"dnn": {"pwws": "SFK"}, "snn": {"pwws": "SF"}}, "dataset 'mr', model 'snn', recipe 'pwws': 2 outcomes.*3"),
        (
            {"dnn": {"pwws": "SFK"}, "snn": {"pwws": ""}},
            "dataset 'mr', model 'snn', recipe 'pwws': expected a non-empty",
        ),
        ({"dnn": {"pwws": "sfk"}}, "dataset 'mr', model 'dnn', recipe 'pwws'"),
        ({"snn": {"pwws": "SFK"}}, "dataset 'mr': reference model 'dnn' has no outcomes"),
        ({"dnn": ["SFK"]}, "dataset 'mr', model 'dnn': expected a mapping"),
        ({}, "dataset 'mr': outcomes must map"),
    ],
)
def test_bad_outcomes_are_refused_naming_the_cell(outcomes, message):
    with pytest.raises(ValueError, match=message):
        recipe_statistics(outcomes, dataset="mr")
    with pytest.raises(ValueError, match=message):
        pooled_statistics({"mr": outcomes})


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="resamples"):
        recipe_statistics({"dnn": {"r": "SF"}}, resamples=0)
    with pytest.raises(ValueError, match="level"):
        recipe_statistics({"dnn": {"r": "SF"}}, level=1.0)
    with pytest.raises(ValueError, match="at least one dataset"):
        pooled_statistics({})


def test_pooled_weighs_cells_equally_and_resamples_within_each_dataset():
    # MR: 5 examples, every model robust on both recipes; ChnSenti: 500 examples, one recipe, all flipped.
    robust = {"pwws": "F" * 5, "textfooler": "F" * 5}
    per_dataset = {
        "mr": {"dnn": robust, "snn": dict(robust)},
        "chnsenti": {"dnn": {"textfooler": "S" * 500}, "snn": {"textfooler": "S" * 500}},
    }
    stats = pooled_statistics(per_dataset)
    assert stats["datasets"] == {
        "mr": {"examples": 5, "recipes": ["pwws", "textfooler"]},
        "chnsenti": {"examples": 500, "recipes": ["textfooler"]},
    }
    assert stats["cells"] == 3
    # mean of the cells (1, 1, 0), not of the 510 examples; resampling within each dataset keeps it exact
    assert stats["models"]["dnn"]["accuracy_under_attack"] == {"value": 2 / 3, "low": 2 / 3, "high": 2 / 3}
    assert stats["models"]["dnn"]["success_rate"]["value"] == pytest.approx(500 / 510)
    assert stats["vs_reference"]["snn"]["verdict"] == SAME


def test_pooled_over_datasets_with_different_recipe_sets_and_sizes():
    rng = np.random.default_rng(11)
    english = {m: {r: random_outcomes(rng, 200) for r in ("deepwordbug", "pwws", "textfooler")} for m in ("dnn", "snn")}
    chinese = {m: {r: random_outcomes(rng, 90) for r in ("deepwordbug", "textfooler")} for m in ("dnn", "snn")}
    chinese["snn"] = {r: text.replace("S", "F") for r, text in chinese["snn"].items()}  # the SNN resists all
    stats = pooled_statistics({"mr": english, "chnsenti": chinese})
    assert stats["cells"] == 5 and stats["datasets"]["chnsenti"]["recipes"] == ["deepwordbug", "textfooler"]
    cells = [recipe_statistics(o)["recipes"][r]["models"] for o in (english, chinese) for r in o["dnn"]]
    for model in ("dnn", "snn"):
        mean = sum(c[model]["accuracy_under_attack"]["value"] for c in cells) / 5
        assert stats["models"][model]["accuracy_under_attack"]["value"] == pytest.approx(mean)
    difference = stats["vs_reference"]["snn"]["difference_points"]
    assert difference["value"] == pytest.approx(
        100
        * (
            stats["models"]["snn"]["accuracy_under_attack"]["value"]
            - stats["models"]["dnn"]["accuracy_under_attack"]["value"]
        )
    )
    assert difference["low"] > 0 and stats["vs_reference"]["snn"]["verdict"] == MORE


def test_pooled_over_one_dataset_is_its_all_recipes_entry():
    rng = np.random.default_rng(2)
    outcomes = {m: {r: random_outcomes(rng, 70) for r in ("pwws", "textfooler")} for m in ("dnn", "snn", "kim")}
    pooled, alone = pooled_statistics({"mr": outcomes}, seed=4), recipe_statistics(outcomes, seed=4)["all_recipes"]
    assert pooled["models"] == alone["models"] and pooled["vs_reference"] == alone["vs_reference"]


def test_pooled_keeps_only_models_of_every_dataset():
    rng = np.random.default_rng(9)
    mr = {m: {"pwws": random_outcomes(rng, 30)} for m in ("dnn", "snn", "kim")}
    sst2 = {m: {"pwws": random_outcomes(rng, 30)} for m in ("dnn", "snn")}
    stats = pooled_statistics({"mr": mr, "sst2": sst2})
    assert set(stats["models"]) == {"dnn", "snn"} and set(stats["vs_reference"]) == {"snn"}


def test_results_are_plain_json_numbers():
    import json

    stats = recipe_statistics({"dnn": {"r": "SFKSF"}, "snn": {"r": "FFKSK"}})
    assert json.loads(json.dumps(stats)) == stats
    assert all(v is None or (isinstance(v, float) and math.isfinite(v)) for i in intervals(stats) for v in i.values())


def test_module_stays_light():
    code = "import sys, snntext.attack.statistics; print(any(m in sys.modules for m in ('torch', 'textattack')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
