"""Accuracy over training seeds: the interval over seeds and sentences, the verdicts, the study file, the section."""

from __future__ import annotations

import copy
import json
import math

import pytest

from snntext.core.errors import SnntextError
from snntext.report.build import write_reports
from snntext.report.seeds import (
    STUDY_FILE,
    experiment_revs,
    gap_interval,
    load_study,
    merge_seed,
    queue_command,
    seed_point,
    seed_points,
    standard_error,
    t_quantile,
    verdict,
)
from tests.report.fake_metrics import RAN_ON_FAKE, dataset_metrics, write_fake_run
from tests.report.test_tables import ENVIRONMENT, PARAMS

Z95 = 1.959963984540054
BASES = {"mr": 0.76, "chnsenti": 0.85}  # the fake run's DNN test accuracies


def fake_point(seed: int, dataset: str, gap: float, half: float = 1.0) -> dict:
    """A study point from the fake run's metrics, with its gap (points) and a paired interval gap ± half."""
    stages = dataset_metrics(dataset, BASES[dataset], "en", "glove-6b-50d")
    stages["finetune"]["paired_gap"].update(
        gap_points=gap, ci_low_points=gap - half, ci_high_points=gap + half, snn_acc_mean=BASES[dataset] + gap / 100
    )
    stages["finetune"]["ran_on"] = RAN_ON_FAKE
    return seed_point(seed, dataset, stages)


def fake_study(gaps: dict[int, dict[str, float]], half: float = 1.0) -> dict:
    """seed -> dataset -> gap (points), each with the paired interval gap ± half; seed 0 is the committed run,
    the others experiments."""
    study = None
    for seed, per_ds in gaps.items():
        info = {"experiment": None, "rev": "c0ffee"} if seed == 0 else {"experiment": f"seed-{seed}", "rev": "a" * 40}
        study = merge_seed(study, seed, [fake_point(seed, ds, g, half) for ds, g in per_ds.items()], info)
    assert study is not None
    return study


def accuracy_with(tmp_path, study: dict | str | None, drawn: tuple[str, ...] = ()) -> str:
    """The "Over training seeds" section; `drawn`: datasets whose prepare metrics say their split is drawn per seed."""
    datasets = write_fake_run(tmp_path / "metrics")
    for ds in drawn:
        prepare = tmp_path / "metrics" / "prepare" / f"{ds}.json"
        prepare.write_text(json.dumps(json.loads(prepare.read_text()) | {"split_source": "stratified"}))
    if study is not None:
        (tmp_path / "metrics" / STUDY_FILE).write_text(study if isinstance(study, str) else json.dumps(study))
    write_reports(
        datasets, PARAMS, metrics_dir=tmp_path / "metrics", reports_dir=tmp_path / "reports", environment=ENVIRONMENT
    )
    text = (tmp_path / "reports" / "accuracy.md").read_text()
    return text.split("## Over training seeds")[1].split("\n## ")[0]


def test_interval_over_seeds_and_sentences_on_hand_made_numbers():
    gaps = [-1.0, 0.0, -0.5]  # mean -0.5, sample variance 0.25
    errors = [standard_error(g - Z95 * 0.5, g + Z95 * 0.5) for g in gaps]  # each seed's SE: 0.5
    assert errors == pytest.approx([0.5] * 3)
    # one shared test set: sqrt(s^2/S + mean SE^2) = sqrt(1/3); Welch-Satterthwaite df 2 * (1 + 0.25 / (0.25/3))^2 = 32
    mean, low, high = gap_interval(gaps, errors)
    half = 2.0369 * math.sqrt(0.25 / 3 + 0.25)  # t(0.975, 32) = 2.0369
    assert mean == pytest.approx(-0.5)
    assert (low, high) == (pytest.approx(-0.5 - half, abs=1e-4), pytest.approx(-0.5 + half, abs=1e-4))
    # each seed its own test sentences: t(0.975, 2) * sqrt(max(s^2, mean SE^2) / S)
    mean, low, high = gap_interval(gaps, errors, shared_test_set=False)
    assert (low, high) == (
        pytest.approx(-0.5 - 4.3027 * 0.5 / math.sqrt(3)),
        pytest.approx(-0.5 + 4.3027 * 0.5 / math.sqrt(3)),
    )
    _, low_floor, _ = gap_interval([-0.5, -0.5, -0.5], [0.5] * 3, shared_test_set=False)  # s = 0: floor at the SE
    assert low_floor == pytest.approx(low)
    assert gap_interval([-0.5], [0.5]) is None  # one seed: no interval over seeds


def test_interval_on_a_shared_test_set_never_narrower_than_the_sentence_noise():
    for gaps in ([-0.5, -0.5, -0.5], [-2.0, 0.0, 1.0], [-0.6, -0.5, -0.4]):
        mean, low, _ = gap_interval(gaps, [0.5] * 3)
        assert mean - low >= Z95 * 0.5 - 1e-9  # the sentence noise's own 95% half-width
    _, low, _ = gap_interval([-0.5, -0.5, -0.5], [0.5] * 3)
    assert low == pytest.approx(-0.5 - Z95 * 0.5)  # no spread over seeds: the normal interval of the sentences


def test_t_quantiles_match_scipy():
    stats = pytest.importorskip("scipy.stats")
    for df in range(1, 61):
        assert t_quantile(df) == pytest.approx(float(stats.t.ppf(0.975, df)), abs=2e-4), df


def test_verdict_on_the_accuracy_claim():
    assert verdict(-1.4, 0.5) == "holds"
    assert verdict(-3.0, -1.6) == "fails"
    assert verdict(-2.0, 0.5) == "not decided"
    assert verdict(-1.5, 0.5) == "not decided"  # the lower end must be above -1.5


def test_section_over_three_seeds_with_verdicts(tmp_path):
    # MR holds (gaps near 0), ChnSenti fails (gaps near -5); narrow paired intervals (± 0.2 points)
    study = fake_study(
        {0: {"mr": -0.2, "chnsenti": -5.0}, 1: {"mr": 0.0, "chnsenti": -5.2}, 2: {"mr": 0.2, "chnsenti": -4.8}}, 0.2
    )
    study["wall_s"] = 7200.0
    section = accuracy_with(tmp_path, study)
    mr = gap_interval([-0.2, 0.0, 0.2], [0.2 / Z95] * 3)
    assert mr is not None
    cell = f"+0.00 [{mr[1]:+.2f}, {mr[2]:+.2f}]".replace("-", "−")
    assert f"| MR | 3 | 77.50 ± 0.00 | 76.00 ± 0.00 | 75.00 ± 0.00 | 76.00 ± 0.20 | {cell} | holds |" in section
    assert "| ChnSenti | 3 |" in section and section.split("| ChnSenti |")[1].split("\n")[0].endswith("| fails |")
    assert "**Over seeds, the accuracy claim holds on 1 of 2 datasets**: holds on MR; fails on ChnSenti." in section
    assert mr[1] == pytest.approx(-0.377, abs=1e-3)  # t(0.975, 6) * sqrt(0.04 / 3 + 0.102^2), Welch df 6.3
    # paired intervals of ± 1 point, as measured: a gap of -1 is not decided, one of 0 holds
    wide = fake_study({0: {"mr": -1.2}, 1: {"mr": -1.0}, 2: {"mr": -0.8}})
    assert "| not decided |" in accuracy_with(tmp_path / "wide", wide)
    near = fake_study({0: {"mr": -0.2}, 1: {"mr": 0.0}, 2: {"mr": 0.2}})
    assert "| holds |" in accuracy_with(tmp_path / "near", near)
    assert "Welch-Satterthwaite" in section and "t(0.975, S − 1)" in section
    # wall time: per dataset and seed 420 s train_dnn + 46 s convert + 1234.5 s finetune
    assert "add to 2.8 h over every seed and dataset" in section and "took 2.0 h from queueing to collection" in section
    assert "| 1 | `seed-1` (aaaaaaa) | 57 min | – | test CPU, 2 threads | `0123456789` | 2000-01-01 |" in section
    assert "Warning" not in section  # seed 0 is the fake run


def test_section_uses_the_split_each_dataset_has(tmp_path):
    # MR's seeds each hold out their own test sentences: t over seeds; ChnSenti shares one test set
    gaps = {0: {"mr": -0.9, "chnsenti": -0.9}, 1: {"mr": -0.3, "chnsenti": -0.3}, 2: {"mr": 0.0, "chnsenti": 0.0}}
    section = accuracy_with(tmp_path, fake_study(gaps), drawn=("mr",))
    errors = [1.0 / Z95] * 3
    for ds, shared in (("mr", False), ("chnsenti", True)):
        mean, low, high = gap_interval([-0.9, -0.3, 0.0], errors, shared_test_set=shared)
        cell = f"{mean:+.2f} [{low:+.2f}, {high:+.2f}]".replace("-", "−")
        assert cell in section.split(f"| {'MR' if ds == 'mr' else 'ChnSenti'} |")[1].split("\n")[0], ds
    assert gap_interval([-0.9, -0.3, 0.0], errors, False) != gap_interval([-0.9, -0.3, 0.0], errors, True)


def test_section_over_one_seed_says_there_is_no_interval(tmp_path):
    section = accuracy_with(tmp_path, fake_study({0: {"mr": -0.5, "chnsenti": -1.0}}))
    assert "| MR | 1 | 77.50 | 76.00 | 75.00 | 75.50 | −0.50 (one seed: no interval) | – |" in section
    assert "Only one seed collected: no interval over seeds and no verdict" in section
    assert "holds on" not in section


def test_section_without_a_study_says_how_to_run_it(tmp_path):
    section = accuracy_with(tmp_path, None)
    assert "The seed study has not run on these metrics" in section
    assert "`PYTHONPATH=src python scripts/run_seed_study.py`" in section
    assert "about 57 min a seed" in section  # the fake run's training stages, both datasets


def test_a_stale_committed_seed_is_flagged(tmp_path):
    study = fake_study({0: {"mr": -0.5, "chnsenti": -1.0}, 1: {"mr": -0.4, "chnsenti": -0.9}})
    study["points"][0]["dnn_test_acc"] += 0.01  # chnsenti, seed 0: not what the run's metrics say now
    section = accuracy_with(tmp_path, study)
    assert (
        "Warning: the committed run's seed in `metrics/seed_study.json` differs from its metrics on ChnSenti" in section
    )


def test_bad_study_file_is_refused_naming_it_and_the_key(tmp_path):
    path = tmp_path / STUDY_FILE
    assert load_study(path) is None
    study = fake_study({0: {"mr": -0.5}})
    del study["points"][0]["paired_gap"]["ci_low_points"]
    path.write_text(json.dumps(study))
    with pytest.raises(SnntextError, match=r"seed_study.json: missing key 'points\[0\].paired_gap.ci_low_points'"):
        load_study(path)
    study = fake_study({0: {"mr": -0.5}})
    study["points"][0]["kim_test_acc"] = "high"
    path.write_text(json.dumps(study))
    with pytest.raises(SnntextError, match=r"key 'points\[0\].kim_test_acc' must be a finite number.*--collect-only"):
        load_study(path)
    study = fake_study({0: {"mr": -0.5}})
    study["points"][0]["seed"] = 7
    path.write_text(json.dumps(study))
    with pytest.raises(SnntextError, match="names seed 7, not in 'seeds'"):
        load_study(path)
    path.write_text(json.dumps({"points": []}))
    with pytest.raises(SnntextError, match="missing key 'seeds'"):
        load_study(path)
    path.write_text("{")
    with pytest.raises(SnntextError, match="not valid JSON"):
        load_study(path)


def test_report_refuses_a_bad_study_before_writing(tmp_path):
    with pytest.raises(SnntextError, match="seed_study.json"):
        accuracy_with(tmp_path, json.dumps({"seeds": {}, "points": [{"seed": 1}]}))
    assert not (tmp_path / "reports" / "accuracy.md").exists()


def test_queue_command_and_experiment_revs():
    assert queue_command(1) == ["dvc", "exp", "run", "--queue", "-n", "seed-1", "-S", "seed=1", "finetune"]
    assert queue_command(2, ["mr", "sst2"])[-3:] == ["-S", "datasets=[mr,sst2]", "finetune"]
    shown = [
        {
            "rev": "new",
            "experiments": [
                {"name": "seed-1", "revs": [{"rev": "aaa", "name": "seed-1", "error": None}]},
                {"name": "seed-2", "revs": [{"rev": "bbb", "name": "seed-2", "error": {"msg": "failed"}}]},
                {"name": "seed-3", "revs": [{"rev": "ccc", "name": "seed-3"}]},
                {"name": "energy-T8", "revs": [{"rev": "ddd", "name": "energy-T8"}]},
            ],
        },
        {"rev": "old", "experiments": [{"name": "seed-1", "revs": [{"rev": "old1", "name": "seed-1"}]}]},
    ]
    assert experiment_revs(shown, [1, 2]) == {1: "aaa"}  # newest kept; failed, unasked and foreign left out


def test_seed_point_keeps_what_the_table_needs_and_names_what_is_missing():
    stages = dataset_metrics("mr", 0.76, "en", "glove-6b-50d")
    point = seed_point(1, "mr", stages)
    assert point["converted_test_acc"] == stages["convert"]["options"]["data_p99.9"]["test"]["accuracy"]
    assert point["seconds"] == {"train_dnn": 420.0, "convert": 46.0, "finetune": 1234.5}
    assert point["paired_gap"]["draws"] == 3 and point["paired_gap"]["sentences"] == 200
    assert "ran_on" not in point  # old metrics: no machine record
    stages["train_dnn"]["ran_on"] = RAN_ON_FAKE
    assert seed_point(1, "mr", stages)["ran_on"] == {"train_dnn": RAN_ON_FAKE}
    del stages["finetune"]["paired_gap"]
    with pytest.raises(SnntextError, match="seed 1, mr: metrics lack 'paired_gap'"):
        seed_point(1, "mr", stages)


def test_merging_a_seed_replaces_only_its_points():
    study = fake_study({0: {"mr": -0.5, "chnsenti": -1.0}, 1: {"mr": -0.4, "chnsenti": -0.9}})
    again = [fake_point(1, "mr", -0.1)]
    merged = merge_seed(copy.deepcopy(study), 1, again, {"experiment": "seed-1", "rev": "bbb"})
    assert [(p["seed"], p["dataset"]) for p in merged["points"]] == [(0, "chnsenti"), (0, "mr"), (1, "mr")]
    assert merged["seeds"]["1"]["rev"] == "bbb" and merged["seeds"]["0"] == study["seeds"]["0"]
    reads = []
    points = seed_points(
        2, ["mr"], lambda stage, ds: reads.append((stage, ds)) or dataset_metrics(ds, 0.76, "en", "x")[stage]
    )
    assert reads == [("train_dnn", "mr"), ("convert", "mr"), ("finetune", "mr")] and points[0]["seed"] == 2


def test_a_study_over_other_datasets_counts_as_not_run(tmp_path):
    study = fake_study({0: {"mr": -0.5}, 1: {"mr": -0.2}})
    for point in study["points"]:
        point["dataset"] = "sst2"  # a dataset the fake run does not have
    section = accuracy_with(tmp_path, study)
    assert "The seed study has not run on these metrics" in section


def test_summary_for_readme_and_docs(tmp_path):
    from snntext.report.metrics import load_run_metrics
    from snntext.report.seeds import summary_text

    datasets = write_fake_run(tmp_path / "metrics")
    run = load_run_metrics(datasets, tmp_path / "metrics")
    study = fake_study(
        {0: {"mr": -0.2, "chnsenti": -5.0}, 1: {"mr": 0.0, "chnsenti": -5.2}, 2: {"mr": 0.2, "chnsenti": -4.8}}, 0.2
    )
    assert (
        summary_text(run, study, short=True)
        == "mean gap to its DNN −5.00 to +0.00 points over 3 seeds; within 1.5 points, 95% interval included, "
        "on 1 of 2 datasets (one failed)"
    )
    long = summary_text(run, study)
    mr = gap_interval([-0.2, 0.0, 0.2], [0.2 / Z95] * 3)
    assert mr is not None
    assert f"MR +0.00 [{mr[1]:+.2f}, {mr[2]:+.2f}]".replace("-", "−") in long
    assert long.endswith("holds on MR; fails on ChnSenti.") and "**" not in long
    one_seed = fake_study({0: {"mr": -0.2, "chnsenti": -5.0}})
    assert summary_text(run, one_seed).startswith("not run yet") and summary_text(run, None).startswith("not run yet")
