"""Tiny, hand-made metrics of a two-dataset run (mr, chnsenti), shaped as the stages write them."""

from __future__ import annotations

import json
from pathlib import Path

from snntext.core.stage_metrics import HEADLINE, RAN_ON, write_stage_metrics

# a fixed machine record, so that the golden reports do not carry this machine's date and commit
RAN_ON_FAKE = {
    "cpu": {"vendor": "TestVendor", "model": "test CPU", "isa": "avx2"},
    "threads": 2,
    "torch": "2.13.0",
    "date": "2000-01-01 00:00 UTC",
    "commit": "0123456789",
}
LAYERS = ("conv3", "conv4", "conv5", "pool3", "pool4", "pool5", "fc")


def energy(rate_in: float, rate_hidden: float, T: int = 50) -> dict:
    macs = {
        "conv3": 1_000_000,
        "conv4": 1_300_000,
        "conv5": 1_600_000,
        "pool3": 3300,
        "pool4": 3200,
        "pool5": 3100,
        "fc": 6000,
    }
    rates = {
        "conv3": rate_in,
        "conv4": rate_in,
        "conv5": rate_in,
        "pool3": rate_hidden,
        "pool4": rate_hidden,
        "pool5": rate_hidden,
        "fc": rate_hidden / 2,
    }
    layers = {
        name: {
            "macs": macs[name],
            "input_rate": rates[name],
            "synops": T * rates[name] * macs[name],
            "energy_pj": T * rates[name] * macs[name] * 0.9,
        }
        for name in LAYERS
    }
    total_synops = sum(layer["synops"] for layer in layers.values())
    dnn_uj = sum(macs.values()) * 4.6e-6
    total_uj = total_synops * 0.9e-6
    return {
        "formula": "E_SNN = sum_layers T x input_rate x dense_ops x 0.9 pJ",
        "e_ac_pj": 0.9,
        "timesteps": T,
        "layers": layers,
        "total_synops": total_synops,
        "total_uj": total_uj,
        "dnn_total_uj": dnn_uj,
        "ratio_snn_to_dnn": total_uj / dnn_uj,
        "snn_cheaper": total_uj < dnn_uj,
    }


def sentence_energy_metrics(
    name: str, snn_uj: float, dnn_uj: float = 10.0, accuracy: dict[str, float] | None = None
) -> dict:
    """metrics/energy/<name>.json as the energy stage writes it: the fair accounting's SNN costs `snn_uj` per
    sentence against the DNN's `dnn_uj`; the paper's charges the DNN for all positions (twice as much);
    `accuracy`: split -> the SNN's mean over its 5 spike draws (default 0.75 on both)."""

    def spread(mean: float, width: float = 0.05) -> dict:
        return {"mean": mean, "ci_low": mean * (1 - width), "ci_high": mean * (1 + width)}

    def accounting(dnn: float, snn: float) -> dict:
        dnn_nu, snn_nu = dnn + 0.1, snn * 1.3
        return {
            "dnn_uj": spread(dnn),
            "snn_uj": spread(snn),
            "dnn_with_neuron_updates_uj": spread(dnn_nu),
            "snn_with_neuron_updates_uj": spread(snn_nu),
            "ratio": {"value": snn / dnn, "ci_low": 0.9 * snn / dnn, "ci_high": 1.1 * snn / dnn},
            "ratio_with_neuron_updates": {
                "value": snn_nu / dnn_nu,
                "ci_low": 0.9 * snn_nu / dnn_nu,
                "ci_high": 1.1 * snn_nu / dnn_nu,
            },
            "dnn_macs": dnn / 4.6e-6,
            "snn_synops": snn / 0.9e-6,
        }

    def split(n: int, mean: float) -> dict:
        per_draw = [mean - 0.01, mean + 0.01, mean - 0.005, mean + 0.005, mean]
        return {
            "sentences": n,
            "empty_sentences": 0,
            "tokens_mean": 12.5,
            "real_token_share": 0.25,
            "spikes_per_input_channel": spread(24.0),
            "accountings": {"fair": accounting(dnn_uj, snn_uj), "paper": accounting(2 * dnn_uj, 1.1 * snn_uj)},
            "default": "fair",
            "level": 0.95,
            "resamples": 2000,
            "bootstrap_seed": 0,
            "accuracy": 0.75,
            "accuracy_over_draws": {"draws": 5, "mean": mean, "per_draw": per_draw},
        }

    acc = {"test": 0.75, "dev": 0.75, **(accuracy or {})}
    shape = {"L": 50, "D": 50, "kernel_sizes": [3, 4, 5], "filters": 100, "num_classes": 2}
    shape |= {"neurons_per_class": 10, "timesteps": 50, "beta": 1.0}
    return {
        "dataset": name,
        "seed": 0,
        "batch_size": 64,
        "shape": shape,
        "splits": {"test": split(200, acc["test"]), "dev": split(100, acc["dev"])},
        "ran_on": RAN_ON_FAKE,
    }


def split_stats(acc: float, n: int, rate: float) -> dict:
    return {
        "accuracy": acc,
        "n": n,
        "ties": 3,
        "silent": 1,
        "tie_rate": 3 / n,
        "silent_rate": 1 / n,
        "firing_rates": {
            "input": 0.5,
            "conv3": rate,
            "conv4": rate * 0.9,
            "conv5": rate * 0.8,
            "pool3": rate * 2,
            "pool4": rate * 1.9,
            "pool5": rate * 1.8,
            "pooled": rate * 1.9,
            "out": rate / 2,
        },
    }


def dataset_metrics(name: str, base: float, language: str, vectors: str) -> dict[str, dict]:
    options = {}
    for i, option in enumerate(("none", "max_weight", "data_max", "data_p99.9")):
        acc = base - 0.10 + 0.03 * i
        options[option] = {
            "dev": split_stats(acc + 0.01, 100, 0.05 + 0.01 * i),
            "test": split_stats(acc, 200, 0.05 + 0.01 * i),
            "energy": energy(0.5, 0.05 + 0.01 * i),
            "seconds": 10.0 + i,
        }
    chosen = "data_p99.9"
    convert = {
        "chosen": chosen,
        "timesteps": 50,
        "threshold": 1.0,
        "beta": 1.0,
        "surrogate": "fast_sigmoid",
        "surrogate_slope": 25.0,
        "dnn_dev_acc": base + 0.01,
        "dnn_test_acc": base,
        "activation_stats": {},
        "options": options,
        "dev_acc": options[chosen]["dev"]["accuracy"],
        "test_acc": options[chosen]["test"]["accuracy"],
        "energy_uj": options[chosen]["energy"]["total_uj"],
        "energy_ratio_snn_to_dnn": options[chosen]["energy"]["ratio_snn_to_dnn"],
    }
    fine_energy = energy(0.5, 0.04)
    finetune = {
        "dev_acc": base - 0.01,
        "test_acc": base - 0.02,
        "best_epoch": 3,
        "best_dev_acc_during_training": base - 0.01,
        "epochs_run": 4,
        "seconds": 1234.5,
        "energy_uj": fine_energy["total_uj"],
        "energy_ratio_snn_to_dnn": fine_energy["ratio_snn_to_dnn"],
        "start_normalisation": chosen,
        "config": {"epochs": 4},
        "dev": split_stats(base - 0.01, 100, 0.04),
        "test": split_stats(base - 0.02, 200, 0.04),
        "energy": fine_energy,
        "paired_gap": {
            "gap_points": -2.0,
            "ci_low_points": -3.5,
            "ci_high_points": -0.5,
            "level": 0.95,
            "resamples": 2000,
            "sentences": 200,
            "draws": 3,
            "dnn_acc": base,
            "snn_acc_per_draw": [base - 0.02, base - 0.03, base - 0.01],
            "snn_acc_mean": base - 0.02,
            "snn_acc_std": 0.01,
        },
        "gap_points": -2.0,
        "pooled_firing_rate": 0.04 * 1.9,
    }
    sweep = {
        "dataset": name,
        "timesteps": [1, 10, 50],
        "seed": 0,
        "batch_size": 64,
        "models": {
            model: {
                split: {
                    "n": 100,
                    "seconds": 30.0,
                    "points": {
                        str(t): {"accuracy": round(base - shift - 0.2 / t, 4), "ties": 0, "silent": 0}
                        for t in (1, 10, 50)
                    },
                }
                for split in ("test", "dev")
            }
            for model, shift in (("converted", 0.06), ("finetuned", 0.02))
        },
    }
    return {
        "prepare": {
            "dataset": name,
            "language": language,
            "splits": {s: {"count": c} for s, c in (("train", 800), ("dev", 100), ("test", 200))},
        },
        "embed": {"vectors": vectors, "oov_policy": "paper", "coverage": {"token_coverage": 0.95}, "oov_rate": 0.05},
        "train_dnn": {
            "majority_dev_acc": 0.5,
            "majority_test_acc": 0.5 if language == "en" else 0.68,
            "kim_dev_acc": base + 0.02,
            "kim_test_acc": base + 0.015,
            "kim_best_epoch": 5,
            "kim_epochs_run": 9,
            "kim_seconds": 120.0,
            "kim_seconds_per_epoch": 13.3,
            "dnn_dev_acc": base + 0.01,
            "dnn_test_acc": base,
            "dnn_best_epoch": 7,
            "dnn_epochs_run": 12,
            "dnn_seconds": 300.0,
            "dnn_seconds_per_epoch": 25.0,
            "dnn_activations": {},
            "dnn_macs": 3_922_600,
            "dnn_energy_uj": 3_922_600 * 4.6e-6,
        },
        "convert": convert,
        "finetune": finetune,
        "sweep": sweep,
        "energy": sentence_energy_metrics(name, snn_uj=3.0 if language == "en" else 12.0),
    }


# One outcome per attacked example (S flipped, F robust, K wrong already), the same 20 examples
# everywhere: the DNN is wrong on the last 4, the deterministic SNN on the last 5.
ATTACK_OUTCOMES = {
    "en": {
        "dnn": {"deepwordbug": "S" * 12 + "F" * 4 + "K" * 4, "pwws": "S" * 14 + "F" * 2 + "K" * 4},
        "snn": {"deepwordbug": "F" * 7 + "S" * 8 + "K" * 5, "pwws": "F" * 6 + "S" * 9 + "K" * 5},
        "snn_stochastic": {"deepwordbug": "F" * 9 + "S" * 5 + "K" * 6, "pwws": "F" * 8 + "S" * 6 + "K" * 6},
    },
    "zh": {
        "dnn": {"deepwordbug": "F" * 10 + "S" * 8 + "K" * 2},
        "snn": {"deepwordbug": "F" * 9 + "S" * 9 + "K" * 2},
        "snn_stochastic": {"deepwordbug": "F" * 10 + "S" * 7 + "K" * 3},
    },
}


def attack_metrics(name: str, language: str = "en", outcomes: bool = True) -> dict:
    """As the attack stage writes them; outcomes=False: a run from before per-example outcomes were kept."""

    def result(text: str, share: float, queries: float) -> dict:
        s, f, k = (text.count(c) for c in "SFK")
        return {
            "examples": len(text),
            "attacked": s + f,
            "successful": s,
            "failed": f,
            "skipped": k,
            "clean_accuracy": (s + f) / len(text),
            "accuracy_under_attack": f / len(text),
            "success_rate": s / (s + f) if s + f else None,
            "avg_perturbed_word_share": share,
            "avg_queries": queries,
            "queries": 900,
            "wall_s": 12.0,
            "queries_per_s": 75.0,
        }

    strings = ATTACK_OUTCOMES[language]
    models = {
        model: {recipe: result(text, 0.08 + 0.04 * i, 40.5 + 10 * i) for recipe, text in per_model.items()}
        for i, (model, per_model) in enumerate(strings.items())
    }
    skipped = {"bert_attack": "bert-base-uncased not in the local Hugging Face cache"}
    if language == "zh":
        skipped["pwws"] = "WordNet has no Chinese synonyms"
    data = {
        "dataset": name,
        "language": language,
        "examples": 20,
        "timesteps": 50,
        "spike_samples": 1,
        "similarity": 0.7,
        "models": models,
        "skipped_recipes": skipped,
        "throughput_queries_per_s": {"dnn": 900.0, "snn": 35.5},
        "wall_s": 321.0,
        "under_attack": {
            model: sum(r["accuracy_under_attack"] for r in per_model.values()) / len(per_model)
            for model, per_model in models.items()
        },
    }
    if outcomes:
        data["outcomes"] = strings
        data["indices"] = list(range(3, 23))
    return data


TRAIN_HISTORY = "epoch,model,train_loss,dev_acc\n" + "".join(
    f"{e},{m},{1.0 / e:.6f},{0.6 + 0.02 * e + (0.01 if m == 'dnn' else 0):.6f}\n"
    for m in ("kim", "dnn")
    for e in range(1, 5)
)
FINETUNE_HISTORY = "epoch,train_loss,dev_acc,seconds\n0,,0.700000,0.00\n" + "".join(
    f"{e},{0.5 / e:.6f},{0.7 + 0.01 * e:.6f},100.00\n" for e in range(1, 5)
)


def write_fake_run(
    metrics_dir: Path, *, attack: tuple[str, ...] = ("mr",), attack_outcomes: tuple[str, ...] | None = None
) -> list[str]:
    """Write the metrics of datasets mr and chnsenti under metrics_dir; attack metrics only for `attack`,
    with per-example outcomes for the datasets in `attack_outcomes` (default: all attacked)."""
    specs = {"mr": (0.76, "en", "glove-6b-50d"), "chnsenti": (0.85, "zh", "synonyms-w2v-100d")}
    for name, (base, language, vectors) in specs.items():
        for stage, data in dataset_metrics(name, base, language, vectors).items():
            write_metrics(metrics_dir, stage, name, data)
        (metrics_dir / "train_dnn" / f"{name}_history.csv").write_text(TRAIN_HISTORY)
        (metrics_dir / "finetune" / f"{name}_history.csv").write_text(FINETUNE_HISTORY)
        if name in attack:
            with_outcomes = attack_outcomes is None or name in attack_outcomes
            write_metrics(metrics_dir, "attack", name, attack_metrics(name, language, with_outcomes))
    return list(specs)


def write_metrics(metrics_dir: Path, stage: str, name: str, data: dict) -> None:
    """As the stage writes them: headline + detail where the stage splits its metrics, else one file."""
    if stage in HEADLINE:
        write_stage_metrics(stage, name, {RAN_ON: RAN_ON_FAKE, **data}, metrics_dir)
    else:
        path = metrics_dir / stage / f"{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2))


def fake_grid(
    settings: dict[str, tuple],
    bases: dict[str, float] | None = None,
    *,
    dev: bool = True,
    fair: dict[str, float] | None = None,
) -> dict:
    """metrics/energy_grid.json of a fake energy grid: setting -> (T, test accuracy shift from the DNN[, dev
    shift]), on the fake run's datasets (mr, chnsenti); the SNN's input rate is 0.5 everywhere, as in the fake
    run. With `dev` each point also holds the energy stage's numbers: the SNN's dev accuracy (the DNN's dev
    accuracy is its test accuracy; the dev shift defaults to the test shift) and a fair ratio with neuron
    updates equal to the paper's ratio times `fair[setting]` (default 1)."""
    from snntext.report.frontier import grid_point

    bases = bases or {"mr": 0.76, "chnsenti": 0.85}
    points = []
    for name, (T, shift, *rest) in settings.items():
        dev_shift = rest[0] if rest else shift
        for ds, base in bases.items():
            fine = dataset_metrics(ds, base, "en", "glove-6b-50d")["finetune"]
            fine["energy"] = energy(0.5, 0.04, T)
            fine["paired_gap"] = {
                **fine["paired_gap"],
                "snn_acc_mean": base + shift,
                "gap_points": 100 * shift,
                "ci_low_points": 100 * shift - 1.0,
                "ci_high_points": 100 * shift + 1.0,
            }
            sentence = None
            train_dnn = {"dnn_test_acc": base}
            if dev:
                # the fair ratio with neuron updates is snn x 1.3 / (dnn + 0.1) (sentence_energy_metrics)
                ratio = fine["energy"]["ratio_snn_to_dnn"] * (fair or {}).get(name, 1.0)
                accuracy = {"test": base + shift, "dev": base + dev_shift}
                sentence = sentence_energy_metrics(ds, snn_uj=ratio * 10.1 / 1.3, accuracy=accuracy)
                train_dnn["dnn_dev_acc"] = base
            points.append(grid_point(name, ds, fine, train_dnn, epoch_seconds=[10.0 * T / 50 + 1.0], energy=sentence))
    return {
        "settings": {name: {"what": f"T = {T}", "overrides": {"timesteps": T}} for name, (T, *_) in settings.items()},
        "points": points,
        "note": "fake grid",
    }


def other_rows_metrics(base: float) -> dict[str, dict]:
    """train_direct and random_embeddings metrics as those stages write them (headline + detail)."""
    direct = {
        "dev_acc": base - 0.05,
        "test_acc": base - 0.06,
        "test_mean": base - 0.07,
        "test_std": 0.004,
        "test_acc_per_draw": [base - 0.07] * 5,
        "test_draws": 5,
        "best_epoch": 9,
        "epochs_run": 10,
        "timesteps": 50,
        "beta": 0.95,
        "loss": "paper",
        "seconds": 300.0,
        "seconds_per_epoch": 30.0,
        "energy_ratio_snn_to_dnn": 3.0,
        "energy_uj": 1.0,
    }
    random = {
        "dnn_test_acc": base - 0.10,
        "converted_test_acc": base - 0.20,
        "snn_test_mean": base - 0.12,
        "snn_test_std": 0.006,
        "test_draws": 5,
        "gap_points": -2.0,
        "seconds_total": 360.0,
        "seconds": {"train_dnn": 150.0, "convert": 30.0, "finetune": 180.0},
    }
    return {"train_direct": direct, "random_embeddings": random}
