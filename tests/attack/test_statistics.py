"""Bootstrap intervals and exact paired tests of attack outcomes on strings small enough to check by hand; the
verdicts on the committed outcomes (and on a case at the edge) do not move with the bootstrap's seed."""

from __future__ import annotations

import itertools
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from snntext.attack import statistics
from snntext.attack.statistics import (
    LESS,
    MORE,
    SAME,
    correct_over_datasets,
    holm,
    mcnemar_p_value,
    pooled_statistics,
    recipe_statistics,
    sign_flip_p_value,
    verdict,
)

ROOT = Path(__file__).resolve().parents[2]


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
    assert versus == {
        "snn": {
            "difference_points": {"value": 100.0, "low": 100.0, "high": 100.0},
            "p_value": 2 / 2**40,  # McNemar: 40 discordant pairs, all one way
            "p_holm": 2 / 2**40,
            "tests": 1,
            "verdict": MORE,
        }
    }
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
        assert entry["vs_reference"]["snn"]["difference_points"] == {"value": 0.0, "low": 0.0, "high": 0.0}
        assert entry["vs_reference"]["snn"]["p_value"] == 1.0 and entry["vs_reference"]["snn"]["verdict"] == SAME
        assert entry["models"]["dnn"] == entry["models"]["snn"]


def test_a_gain_within_the_noise_is_no_detectable_difference():
    # one example of 20 differs: +5 points, but a third of the resamples do not draw it
    dnn = "S" * 10 + "F" * 10
    snn = "F" + "S" * 9 + "F" * 10
    versus = recipe_statistics({"dnn": {"r": dnn}, "snn": {"r": snn}})["recipes"]["r"]["vs_reference"]["snn"]
    assert versus["difference_points"]["value"] == pytest.approx(5.0)
    assert versus["difference_points"]["low"] == 0.0 and versus["verdict"] == SAME
    assert versus["p_value"] == 1.0  # one discordant pair: either sign is as likely
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
    assert stats["vs_reference"]["snn"]["p_value"] == pytest.approx(2 / 2**10)  # 10 discordant pairs, one way
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


# ---------------------------------------------------------------------------------------------------------
# The exact test and Holm's correction, by hand


@pytest.mark.parametrize(
    "only_model, only_reference, p",
    [
        (5, 0, 2 / 32),  # 2 P(X <= 0), X ~ Bin(5, 1/2)
        (6, 0, 2 / 64),
        (0, 6, 2 / 64),
        (7, 2, 2 * (1 + 9 + 36) / 512),  # 2 P(X <= 2), X ~ Bin(9, 1/2) = 0.1797
        (10, 2, 2 * (1 + 12 + 66) / 4096),  # 0.0386
        (9, 2, 2 * (1 + 11 + 55) / 2048),  # 0.0654
        (3, 3, 1.0),
        (0, 0, 1.0),
        (1, 0, 1.0),  # 2 x 1/2
    ],
)
def test_mcnemar_p_values_computed_by_hand(only_model, only_reference, p):
    assert mcnemar_p_value(only_model, only_reference) == pytest.approx(p, rel=1e-12)
    # the sign-flip test of one cell is McNemar's: differences +1, -1 and any number of 0
    cell = [1] * only_model + [-1] * only_reference + [0] * 7
    assert sign_flip_p_value([(cell, 1)]) == pytest.approx(p, rel=1e-12)


def test_mcnemar_is_scipys_exact_binomial_test():
    stats = pytest.importorskip("scipy.stats")  # scipy only checks here: the module itself does not use it
    for b, c in itertools.product(range(0, 40, 3), range(0, 25, 2)):
        if b + c:
            assert mcnemar_p_value(b, c) == pytest.approx(stats.binomtest(b, b + c, 0.5).pvalue, rel=1e-9)


@pytest.mark.parametrize(
    "strata, p",
    [
        ([([2, 1], 1)], 2 / 4),  # sums +-2 +-1: 3, 1, -1, -3; |S| >= 3 in 2 of 4
        ([([2, 1, 1], 1)], 2 / 8),  # 4, 2, 2, 0, 0, -2, -2, -4: |S| >= 4 in 2 of 8
        ([([1], 2), ([1, 1], 1)], 2 / 8),  # the same sizes from weights
        ([([1], 3), ([-1], 1)], 1.0),  # +-3 +-1: 4, 2, -2, -4; observed 2
        ([([3, 0, -1], 1)], 1.0),  # observed 2 as above
        ([([0, 0], 1)], 1.0),
        ([([4, 4, 4], 1)], 2 / 8),  # a common factor changes nothing
    ],
)
def test_sign_flip_p_values_computed_by_hand(strata, p):
    assert sign_flip_p_value(strata) == pytest.approx(p, rel=1e-12)


def test_sign_flip_matches_enumerating_every_sign_pattern():
    rng = np.random.default_rng(1)
    for _ in range(60):
        strata = [
            (rng.integers(-3, 4, size=int(rng.integers(1, 6))), int(rng.integers(1, 4)))
            for _ in range(int(rng.integers(1, 3)))
        ]
        sizes = np.concatenate([w * np.abs(d) for d, w in strata])
        observed = abs(sum(w * int(d.sum()) for d, w in strata))
        sums = [abs(int(np.dot(signs, sizes))) for signs in itertools.product((1, -1), repeat=sizes.size)]
        brute = sum(s >= observed for s in sums) / len(sums)
        assert sign_flip_p_value(strata) == pytest.approx(brute, rel=1e-12, abs=1e-15), strata


def test_sign_flip_by_fft_is_the_direct_convolution(monkeypatch):
    rng = np.random.default_rng(2)
    strata = [(rng.integers(-4, 5, size=500), 7), (rng.integers(-2, 3, size=300), 13)]
    direct = sign_flip_p_value(strata)
    monkeypatch.setattr(statistics, "_DIRECT_LIMIT", 0)
    assert sign_flip_p_value(strata) == pytest.approx(direct, rel=1e-9)


def test_sign_flip_refuses_bad_weights():
    with pytest.raises(ValueError, match="weights"):
        sign_flip_p_value([([1, 1], 0)])
    with pytest.raises(ValueError, match="counts"):
        mcnemar_p_value(-1, 2)


def test_holm_adjusted_p_values_computed_by_hand():
    # sorted: 0.005 x 4 = 0.02, 0.01 x 3 = 0.03, 0.03 x 2 = 0.06, 0.04 x 1 = 0.04 -> kept non-decreasing: 0.06
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.6]) == [1.0, 1.0]  # capped at 1
    assert holm([0.02, 0.02]) == [0.04, 0.04]  # ties
    assert holm([0.3]) == [0.3] and holm([]) == []


def test_verdict_reads_the_p_value_and_the_sign():
    assert verdict(2.0, 0.05) == MORE and verdict(-2.0, 0.01) == LESS
    assert verdict(2.0, 0.0501) == SAME and verdict(0.0, 0.0) == SAME
    assert verdict(2.0, 0.08, alpha=0.1) == MORE


def test_cells_are_holm_adjusted_over_the_dataset_then_over_every_dataset():
    # recipe a: 6 examples only the SNN resisted (p = 2/64); b: 5 (p = 2/32); c: none (p = 1)
    n = 40
    dnn = {"a": "S" * 6 + "F" * 10 + "S" * 24, "b": "S" * 5 + "F" * 10 + "S" * 25, "c": "F" * 10 + "S" * 30}
    snn = {"a": "F" * 16 + "S" * 24, "b": "F" * 15 + "S" * 25, "c": dnn["c"]}
    assert all(len(t) == n for t in [*dnn.values(), *snn.values()])
    alone = recipe_statistics({"dnn": {"a": dnn["a"]}, "snn": {"a": snn["a"]}})["recipes"]["a"]["vs_reference"]["snn"]
    assert alone["p_value"] == alone["p_holm"] == pytest.approx(2 / 64) and alone["verdict"] == MORE
    stats = recipe_statistics({"dnn": dnn, "snn": snn}, dataset="mr")
    cells = {r: stats["recipes"][r]["vs_reference"]["snn"] for r in "abc"}
    assert [cells[r]["p_value"] for r in "abc"] == pytest.approx([2 / 64, 2 / 32, 1.0])
    assert [cells[r]["p_holm"] for r in "abc"] == pytest.approx([3 * 2 / 64, 2 * 2 / 32, 1.0])
    assert {cells[r]["tests"] for r in "abc"} == {3} and {cells[r]["verdict"] for r in "abc"} == {SAME}
    # the dataset's mean, one test: an example's recipes add up (5 examples +2, one +1), p = 2 / 2^6, not 2 / 2^11
    mean = stats["all_recipes"]["vs_reference"]["snn"]
    assert mean["p_value"] == mean["p_holm"] == pytest.approx(2 / 2**6) and mean["tests"] == 1
    assert mean["verdict"] == MORE
    # two datasets: six cells, two means per family; the arguments are left as they were
    other = recipe_statistics({"dnn": {"a": "F" * n}, "snn": {"a": "F" * n}}, dataset="sst2")
    before = json.dumps([stats, other])
    both = correct_over_datasets({"mr": stats, "sst2": other})
    assert json.dumps([stats, other]) == before
    wide = [both["mr"]["recipes"][r]["vs_reference"]["snn"] for r in "abc"]
    assert [c["p_holm"] for c in wide] == pytest.approx([4 * 2 / 64, 3 * 2 / 32, 1.0])
    assert {c["tests"] for c in wide} == {4} and both["sst2"]["recipes"]["a"]["vs_reference"]["snn"]["tests"] == 4
    means = both["mr"]["all_recipes"]["vs_reference"]["snn"]
    assert means["p_holm"] == pytest.approx(2 * 2 / 2**6) and means["tests"] == 2 and means["verdict"] == SAME


def test_pooled_test_weighs_each_dataset_by_one_over_its_size():
    # MR: 20 examples, 2 only the SNN resisted; ChnSenti: 40 examples, 4 only the DNN resisted. The mean over the
    # two cells is (2/20 - 4/40) / 2 = 0, so p = 1, though 4 of the 6 discordant examples favour the DNN.
    mr = {"dnn": {"r": "S" * 2 + "F" * 18}, "snn": {"r": "F" * 20}}
    chnsenti = {"dnn": {"r": "F" * 40}, "snn": {"r": "S" * 4 + "F" * 36}}
    versus = pooled_statistics({"mr": mr, "chnsenti": chnsenti})["vs_reference"]["snn"]
    assert versus["difference_points"]["value"] == pytest.approx(0.0, abs=1e-12)
    assert versus["p_value"] == 1.0 and versus["verdict"] == SAME and versus["tests"] == 1
    # MR's 2 now favour the DNN too: weights 2 (MR) and 1 (ChnSenti), sizes 2, 2, 1, 1, 1, 1, observed -8,
    # reached only when every sign agrees: p = 2 / 2^6
    mr = {"dnn": {"r": "F" * 20}, "snn": {"r": "S" * 2 + "F" * 18}}
    versus = pooled_statistics({"mr": mr, "chnsenti": chnsenti})["vs_reference"]["snn"]
    assert versus["difference_points"]["value"] == pytest.approx(-10.0)
    assert versus["p_value"] == pytest.approx(2 / 64) and versus["verdict"] == LESS


# ---------------------------------------------------------------------------------------------------------
# Verdicts that do not move with the bootstrap's seed


def _verdicts(per_dataset: dict[str, dict], seed: int, resamples: int) -> tuple[dict, dict]:
    """Every verdict and p-value (overall, per dataset, per cell) as the report computes them, and the
    intervals, with the bootstrap at `seed`."""
    stats = correct_over_datasets(
        {ds: recipe_statistics(o, seed=seed, resamples=resamples, dataset=ds) for ds, o in per_dataset.items()}
    )
    pooled = pooled_statistics(per_dataset, seed=seed, resamples=resamples)
    found = {("overall", m): v for m, v in pooled["vs_reference"].items()}
    for ds, s in stats.items():
        found |= {("dataset", ds, m): v for m, v in (s["all_recipes"] or {"vs_reference": {}})["vs_reference"].items()}
        for recipe, entry in s["recipes"].items():
            found |= {("cell", ds, recipe, m): v for m, v in entry["vs_reference"].items()}
    verdicts = {k: (v["verdict"], v["p_value"], v["p_holm"], v["tests"]) for k, v in found.items()}
    return verdicts, {k: v["difference_points"] for k, v in found.items()}


def _committed_outcomes() -> dict[str, dict]:
    files = sorted((ROOT / "metrics" / "attack").glob("*_detail.json"))
    outcomes = {f.name.removesuffix("_detail.json"): json.loads(f.read_text())["outcomes"] for f in files}
    if not outcomes:
        pytest.skip("no committed metrics/attack/*_detail.json")
    return outcomes


def test_committed_verdicts_are_the_same_under_20_bootstrap_seeds():
    # 2000 resamples, where the interval-read verdicts of the committed run moved with the seed (MR, SST-5)
    outcomes = _committed_outcomes()
    first, first_intervals = _verdicts(outcomes, seed=0, resamples=2000)
    assert sum(k[0] == "cell" for k in first) >= 20 and any(k[0] == "overall" for k in first)
    moved = 0
    for seed in range(1, 20):
        verdicts, intervals = _verdicts(outcomes, seed=seed, resamples=2000)
        assert verdicts == first, seed
        moved += intervals != first_intervals
    assert moved == 19  # the seed did change the bootstrap: only the verdicts stay


def _pair(n: int, only_model: int, only_reference: int) -> dict[str, dict[str, str]]:
    """One cell of n examples: `only_model` the SNN alone resisted, `only_reference` the DNN alone, 20 both."""
    rest = n - only_model - only_reference - 20
    return {
        "dnn": {"r": "F" * only_reference + "S" * only_model + "F" * 20 + "S" * rest},
        "snn": {"r": "S" * only_reference + "F" * only_model + "F" * 20 + "S" * rest},
    }


def test_a_case_at_the_edge_keeps_its_verdict_where_the_interval_does_not():
    # 150 examples, 10 only the SNN resisted, 3 only the DNN: exact p = 0.092, no detectable difference. The
    # percentile interval's lower end sits at 0 and lands above it for some seeds: a verdict read from it moved.
    key = ("cell", "mr", "r", "snn")
    runs = [_verdicts({"mr": _pair(150, 10, 3)}, seed=seed, resamples=2000) for seed in range(20)]
    assert all(verdicts == runs[0][0] for verdicts, _ in runs)
    assert runs[0][0][key] == (SAME, pytest.approx(mcnemar_p_value(10, 3)), pytest.approx(0.0923, abs=1e-4), 1)
    above_zero = [intervals[key]["low"] > 0 for _, intervals in runs]
    assert 0 < sum(above_zero) < 20
    # 10 against 2 crosses 0.05 (p = 0.0386), for every seed alike
    edge = [_verdicts({"mr": _pair(150, 10, 2)}, seed=seed, resamples=2000)[0][key] for seed in range(20)]
    assert all(v == edge[0] for v in edge)
    assert edge[0] == (MORE, pytest.approx(2 * 79 / 4096), pytest.approx(2 * 79 / 4096), 1)
