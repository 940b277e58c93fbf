"""The energy frontier: non-dominated points, the target verdict, the grid file, the report section."""

from __future__ import annotations

import json

import pytest

from snntext.core.errors import SnntextError
from snntext.report.build import write_reports
from snntext.report.frontier import (
    GRID_FILE,
    SETTINGS,
    frontier_markdown,
    load_grid,
    pareto_front,
    setting,
    setting_summary,
)
from tests.report.fake_metrics import fake_grid, write_fake_run
from tests.report.test_tables import ENVIRONMENT, PARAMS

REFERENCE = {"mr": 0.76, "chnsenti": 0.85}


def test_pareto_front_drops_points_beaten_on_both_axes():
    points = [
        {"energy_uj": 10, "accuracy": 0.80, "name": "dnn"},
        {"energy_uj": 2, "accuracy": 0.70, "name": "a"},
        {"energy_uj": 3, "accuracy": 0.69, "name": "dominated"},
        {"energy_uj": 5, "accuracy": 0.78, "name": "b"},
        {"energy_uj": 12, "accuracy": 0.79, "name": "dearer and worse"},
    ]
    assert [p["name"] for p in pareto_front(points)] == ["a", "b", "dnn"]


def test_target_needs_every_dataset_within_gap_and_ratio():
    # fake energies: ratio = T x 0.5 x 0.9 / 4.6 on the conv layers, about 0.098 T
    grid = fake_grid({"T4": (4, -0.01), "T4-bad": (4, -0.02), "T8": (8, 0.0)})
    summary = setting_summary(grid["points"], REFERENCE, ["mr", "chnsenti"], REFERENCE)
    assert summary["T4"]["judged"] and summary["T4"]["meets"] and summary["T4"]["worst_ratio"] <= 0.5
    assert summary["T4"]["worst_gap"] == pytest.approx(-1.0)
    assert not summary["T4-bad"]["meets"]  # 2 points below the DNN
    assert not summary["T8"]["meets"]  # ratio about 0.78
    partial = [p for p in grid["points"] if not (p["setting"] == "T4" and p["dataset"] == "chnsenti")]
    assert not setting_summary(partial, REFERENCE, ["mr", "chnsenti"], REFERENCE)["T4"]["meets"]  # one missing


def test_markdown_states_the_winner_or_the_honest_miss():
    args = dict(settings={}, figure="figures/energy_frontier.png", grid_info={}, params=PARAMS, dev_reference=REFERENCE)
    met = frontier_markdown(
        fake_grid({"T4": (4, -0.01), "T8": (8, 0.0)})["points"], REFERENCE, ["mr", "chnsenti"], **args
    )
    assert "**The target is met on dev** by `T4`" in met and "**Confirmed on test** (once, for `T4` only)" in met
    missed = frontier_markdown(
        fake_grid({"T4": (4, -0.03), "T8": (8, 0.0)})["points"], REFERENCE, ["mr", "chnsenti"], **args
    )
    assert "not met on dev by any judged setting" in missed
    assert "Best fair ratio within 1.5 dev points on every dataset: `T8`" in missed
    assert "Best worst dev gap at a fair ratio ≤ 0.5 on every dataset: `T4`" in missed


def test_report_with_a_grid_draws_the_frontier(tmp_path):
    datasets = write_fake_run(tmp_path / "metrics")
    (tmp_path / "metrics" / GRID_FILE).write_text(json.dumps(fake_grid({"T4": (4, -0.01), "T8": (8, 0.0)})))
    written = write_reports(
        datasets, PARAMS, metrics_dir=tmp_path / "metrics", reports_dir=tmp_path / "reports", environment=ENVIRONMENT
    )
    assert tmp_path / "reports" / "figures" / "energy_frontier.png" in written
    energy = (tmp_path / "reports" / "energy.md").read_text()
    assert "## Accuracy against energy: the frontier" in energy
    # MR: DNN 76 on test and (the fake run's) 77 on dev, SNN 75 on both
    assert "| `T4` | 4 | 75.00 | −2.00 | 75.00 ± 1.00 | −1.00 [−2.00, +0.00] |" in energy
    assert "## What the headline formula leaves out" in energy
    assert "## Fine-tuning cost against T" in energy


def test_report_without_a_grid_says_how_to_run_it(tmp_path):
    datasets = write_fake_run(tmp_path / "metrics")
    write_reports(
        datasets, PARAMS, metrics_dir=tmp_path / "metrics", reports_dir=tmp_path / "reports", environment=ENVIRONMENT
    )
    energy = (tmp_path / "reports" / "energy.md").read_text()
    assert "scripts/run_energy_grid.py" in energy
    assert not (tmp_path / "reports" / "figures" / "energy_frontier.png").exists()


def test_bad_grid_file_is_refused_naming_it_and_the_key(tmp_path):
    path = tmp_path / GRID_FILE
    assert load_grid(path) is None
    grid = fake_grid({"T4": (4, -0.01)})
    del grid["points"][1]["energy_uj"]
    path.write_text(json.dumps(grid))
    with pytest.raises(SnntextError, match=r"energy_grid.json: points\[1\] lacks 'energy_uj'"):
        load_grid(path)
    grid = fake_grid({"T4": (4, -0.01)})
    grid["points"][0]["setting"] = "T5"
    path.write_text(json.dumps(grid))
    with pytest.raises(SnntextError, match="names setting 'T5'"):
        load_grid(path)
    path.write_text("{")
    with pytest.raises(SnntextError, match="not valid JSON"):
        load_grid(path)


def test_every_setting_passes_the_params_check():
    import copy

    import yaml

    from snntext.core.params import config_from_dict
    from tests.report.test_tables import ROOT

    base = yaml.safe_load((ROOT / "params.yaml").read_text())
    for s in SETTINGS:
        data = copy.deepcopy(base)
        for dotted, value in s.overrides.items():
            *parents, leaf = dotted.split(".")
            node = data
            for part in parents:
                node = node[part]
            assert leaf in node, f"{s.name}: {dotted} is not a params.yaml key"
            node[leaf] = value
        config_from_dict(data)  # raises on a bad value
    assert setting("T8").overrides == {"timesteps": 8}
    with pytest.raises(SnntextError, match="unknown setting 'T9'"):
        setting("T9")
    assert len({s.name for s in SETTINGS}) == len(SETTINGS)


def test_grid_with_its_own_default_run_is_its_own_reference(tmp_path):
    datasets = write_fake_run(tmp_path / "metrics")
    grid = fake_grid({"T50": (50, -0.005), "T4": (4, -0.01)}, bases={"mr": 0.74, "chnsenti": 0.85})
    (tmp_path / "metrics" / GRID_FILE).write_text(json.dumps(grid))
    write_reports(
        datasets, PARAMS, metrics_dir=tmp_path / "metrics", reports_dir=tmp_path / "reports", environment=ENVIRONMENT
    )
    energy = (tmp_path / "reports" / "energy.md").read_text()
    assert "| Tailored DNN | – | 74.00 | reference | 74.00 |" in energy  # the grid's DNN (74), not the run's (76)
    assert "| `default` |" not in energy  # the committed run's point gives way to T50
    assert "| `T50` | MR |" in energy  # and T50 is the baseline of the overheads table


def test_what_stands_in_the_way_shows_the_t_cap_and_the_rate_code_cost():
    points = fake_grid({"T50": (50, -0.005)})["points"]
    text = frontier_markdown(
        points,
        REFERENCE,
        ["mr", "chnsenti"],
        settings={},
        figure=None,
        grid_info={},
        params=PARAMS,
        rate_coded_dnn={"mr": {5: -0.04, 10: -0.015, 50: 0.0}},
    )
    section = text.split("## What stands in the way")[1]
    # fake run: ratio 50 x 0.5 x 0.9 / 4.6 x (conv share) -> about 5.1 at T = 50, so T <= about 4.9 for 0.5
    ratio = points[0]["ratio"]
    assert f"| MR | 50.0 | {0.5 / (ratio / 50):.1f} | 76.00 | −4.00 | −1.50 |" in section
    assert "| ChnSenti | 50.0 |" in section and section.count("–") >= 2  # no sweep curve: dashes


def test_queue_command_and_experiment_revs():
    from snntext.report.frontier import experiment_revs, queue_command

    assert queue_command("T8-dnn8", ["mr", "sst2"]) == [
        "dvc",
        "exp",
        "run",
        "--queue",
        "-n",
        "energy-T8-dnn8",
        "-S",
        "timesteps=8",
        "-S",
        "train_dnn.rate_code_steps=8",
        "-S",
        "kim.epochs=1",
        "-S",
        "datasets=[mr,sst2]",
        "energy",  # finetune, then the per-sentence energy and the dev accuracy the selection needs
    ]
    shown = [
        {
            "rev": "new",
            "experiments": [
                {"name": "energy-T8", "revs": [{"rev": "aaa", "name": "energy-T8", "error": None}]},
                {"name": "energy-T4", "revs": [{"rev": "bbb", "name": "energy-T4", "error": {"msg": "failed"}}]},
                {"name": "abl-beta-0.9", "revs": [{"rev": "ccc", "name": "abl-beta-0.9"}]},
                {"name": "energy-T99", "revs": [{"rev": "ddd", "name": "energy-T99"}]},
            ],
        },
        {"rev": "old", "experiments": [{"name": "energy-T8", "revs": [{"rev": "old8", "name": "energy-T8"}]}]},
    ]
    assert experiment_revs(shown) == {"T8": "aaa"}  # newest run kept; failed, foreign and unknown ones left out


def test_epoch_seconds_from_the_cumulative_history():
    from snntext.report.frontier import epoch_seconds

    rows = [{"epoch": 0, "seconds": 5.9}, {"epoch": 2, "seconds": 99.7}, {"epoch": 1, "seconds": 52.5}]
    assert epoch_seconds(rows) == [pytest.approx(46.6), pytest.approx(47.2)]


def test_a_setting_with_a_dearer_dnn_is_measured_against_the_reference_dnn():
    from snntext.report.frontier import against_reference_dnn

    grid = fake_grid({"T50": (50, -0.005), "T8": (8, -0.01)})
    signed = [
        {
            **p,
            "setting": "T8-signed",
            "dnn_energy_uj": 2 * p["dnn_energy_uj"],
            "ratio": p["energy_uj"] / (2 * p["dnn_energy_uj"]),
        }
        for p in grid["points"]
        if p["setting"] == "T8"
    ]
    rebased = against_reference_dnn(grid["points"] + signed)
    for p in rebased:
        base = next(q for q in grid["points"] if q["setting"] == "T50" and q["dataset"] == p["dataset"])
        assert p["dnn_energy_uj"] == base["dnn_energy_uj"]
        assert p["ratio"] == pytest.approx(p["energy_uj"] / base["dnn_energy_uj"])
        assert ("own_dnn_energy_uj" in p) == (p["setting"] == "T8-signed")
    assert [p for p in rebased if p["setting"] != "T8-signed"] == grid["points"]  # same-shaped DNNs untouched


def test_a_retrained_dnn_shows_the_gap_to_the_reference_and_to_its_own_dnn():
    grid = fake_grid({"T50": (50, -0.005)})
    own = fake_grid({"T8-signed": (8, -0.01)}, bases={"mr": 0.78, "chnsenti": 0.85})["points"]
    text = frontier_markdown(
        grid["points"] + own, REFERENCE, ["mr"], settings={}, figure=None, grid_info={}, params=PARAMS
    )
    # MR: its own DNN 78, SNN 77: +1.00 to the reference DNN (76), -1.00 [-2, 0] to its own
    assert "| 77.00 ± 1.00 | +1.00; to its own DNN (78.00): −1.00 [−2.00, +0.00] |" in text
    assert "| `T50` | 50 | 75.50 | −0.50 | 75.50 ± 1.00 | −0.50 [−1.50, +0.50] |" in text  # the reference's DNN


def test_a_retrained_dnn_of_equal_accuracy_still_shows_its_own_gap():
    grid = fake_grid({"T50": (50, -0.005)})
    own = fake_grid({"T8-signed": (8, -0.01)})["points"]  # its own DNN happens to score as the reference
    settings = {"T8-signed": {"what": "signed", "overrides": {"timesteps": 8, "embed.code": "signed"}}}
    text = frontier_markdown(
        grid["points"] + own, REFERENCE, ["mr"], settings=settings, figure=None, grid_info={}, params=PARAMS
    )
    assert (
        "| `T8-signed` | 8 | 75.00 | −1.00 | 75.00 ± 1.00 | −1.00; to its own DNN (76.00): −1.00 [−2.00, +0.00] |"
        in text
    )


def test_readme_low_energy_profile_is_the_grid_setting_that_met_the_target():
    """The documented profile runs the overrides of the committed grid's profile setting (less kim.epochs,
    which only speeds the grid: Kim's TextCNN is not on the frontier): the one chosen on dev, or, while the
    committed grid predates the dev numbers, the older selection's pick on test (the README says which)."""
    import shlex

    from tests.report.test_tables import ROOT

    readme = (ROOT / "README.md").read_text()
    line = next(l for l in readme.splitlines() if l.startswith("dvc exp run -n low-energy"))
    argv = shlex.split(line)
    documented = {argv[i + 1].split("=")[0]: argv[i + 1].split("=")[1] for i, a in enumerate(argv) if a == "-S"}
    measured = load_grid(ROOT / "metrics" / GRID_FILE)
    assert measured is not None, "the committed grid is the profile's evidence"
    from snntext.report.frontier import against_reference_dnn, low_energy_profile, picked_on_test, reference_accuracy

    points = against_reference_dnn(measured["points"])
    reference = reference_accuracy(points, {p["dataset"]: p["dnn_test_acc"] for p in points if p["setting"] == "T50"})
    summary = setting_summary(points, reference, sorted(reference))
    judged = any(s["judged"] for s in summary.values())
    profile = low_energy_profile(summary) if judged else picked_on_test(summary)
    assert profile is not None
    if not judged:
        assert "picked on test" in readme  # the README's generated profile says it is the older selection
    assert documented == {k: str(v) for k, v in setting(profile).overrides.items() if k != "kim.epochs"}


def test_the_profile_is_the_winner_with_the_best_worst_gap():
    from snntext.report.frontier import low_energy_profile

    grid = fake_grid({"T2": (2, -0.014), "T4": (4, -0.005), "T8": (8, 0.0)})  # T2 and T4 meet; T8 is too dear
    summary = setting_summary(grid["points"], REFERENCE, ["mr", "chnsenti"], REFERENCE)
    assert low_energy_profile(summary) == "T4"
    text = frontier_markdown(
        grid["points"],
        REFERENCE,
        ["mr", "chnsenti"],
        settings={},
        figure=None,
        grid_info={},
        params=PARAMS,
        dev_reference=REFERENCE,
    )
    assert "the winner with the best worst dev gap, is `T4`" in text and "`T2` is cheaper (worst dev ratio 0.19" in text
    higher = {"mr": 0.80, "chnsenti": 0.90}
    assert low_energy_profile(setting_summary(grid["points"], higher, ["mr", "chnsenti"], higher)) is None


def test_recorded_wall_times_are_stated():
    grid = fake_grid({"T4": (4, -0.01), "T8": (8, 0.0)})
    settings = {"T4": {"what": "T = 4", "wall_s": 1500.0}, "T8": {"what": "T = 8"}}
    text = frontier_markdown(
        grid["points"], REFERENCE, ["mr", "chnsenti"], settings=settings, figure=None, grid_info={}, params=PARAMS
    )
    assert "`T4` 25 min; not recorded for the others (run before per-setting times were kept)." in text
    cached = {
        "T4": {"what": "T = 4", "wall_s": 27.0, "finetune_seconds": 1060.0},
        "T8": {"what": "T = 8", "wall_s": 1500.0},
    }
    text = frontier_markdown(
        grid["points"], REFERENCE, ["mr", "chnsenti"], settings=cached, figure=None, grid_info={}, params=PARAMS
    )
    assert "`T4` 0 min (restored from DVC's cache), `T8` 25 min." in text  # faster than its own fine-tuning


def test_what_stands_in_the_way_shows_the_dnn_the_rate_code_losses_were_measured_against():
    """The sweep's losses are the committed run's DNN's: that DNN's accuracy stands beside them, not the grid's
    reference DNN (another run), and the text says which."""
    points = fake_grid({"T50": (50, -0.005)}, bases={"mr": 0.74, "chnsenti": 0.85})["points"]
    text = frontier_markdown(
        points,
        {"mr": 0.74, "chnsenti": 0.85},
        ["mr", "chnsenti"],
        settings={},
        figure=None,
        grid_info={},
        params=PARAMS,
        rate_coded_dnn={"mr": {5: -0.04}},
        rate_coded_reference={"mr": 0.76, "chnsenti": 0.85},
    )
    section = text.split("## What stands in the way")[1].split("## ")[0]
    assert "| MR | 50.0 |" in section and "| 76.00 | −4.00 |" in section and "74.00" not in section
    assert "Committed run's DNN test acc" in section and "not the grid's reference DNN" in section


def test_the_overheads_table_shows_the_low_energy_profile():
    grid = fake_grid({"T50": (50, -0.005), "T2": (2, -0.014), "T4": (4, -0.005)})  # both meet; T4 has the margin
    text = frontier_markdown(
        grid["points"], REFERENCE, ["mr", "chnsenti"], settings={}, figure=None, grid_info={}, params=PARAMS
    )
    section = text.split("## What the headline formula leaves out")[1].split("## ")[0]
    assert "| `T4` | MR |" in section and "| `T2` |" not in section


# --- issue 33: selection on dev, the target under the fair accounting with neuron updates -------------------


def _markdown(points: list[dict], **kwargs) -> str:
    args = dict(settings={}, figure=None, grid_info={}, params=PARAMS, dev_reference=REFERENCE) | kwargs
    return frontier_markdown(points, REFERENCE, ["mr", "chnsenti"], **args)


def test_the_profile_is_chosen_on_dev_not_on_test():
    """T2 has the better dev gap, T4 the better test gap, both meet the target: dev decides; a selection on test
    (picked_on_test, the older one) would have taken T4."""
    from snntext.report.frontier import low_energy_profile, picked_on_test

    grid = fake_grid({"T50": (50, -0.005), "T2": (2, -0.014, -0.004), "T4": (4, -0.005, -0.012)})
    summary = setting_summary(grid["points"], REFERENCE, ["mr", "chnsenti"], REFERENCE)
    assert summary["T2"]["worst_dev_gap"] == pytest.approx(-0.4) and summary["T4"]["worst_dev_gap"] == pytest.approx(
        -1.2
    )
    assert low_energy_profile(summary) == "T2"
    assert picked_on_test(summary) == "T4"  # what choosing on test would have given
    text = _markdown(grid["points"])
    assert "chosen on dev as the winner with the best worst dev gap, is `T2`" in text
    assert "**Confirmed on test** (once, for `T2` only): worst test gap −1.40 points" in text
    assert "| **`T2`** (selected on dev) |" in text and "| `T4` |" in text
    assert "The point ringed in red" not in text  # no figure here; with one, the ringed point is named


def test_test_does_not_confirm_a_dev_choice_that_misses_on_test():
    grid = fake_grid({"T50": (50, -0.005), "T2": (2, -0.02, -0.004)})  # within 1.5 on dev, 2 points below on test
    summary = setting_summary(grid["points"], REFERENCE, ["mr", "chnsenti"], REFERENCE)
    assert summary["T2"]["meets"] and not summary["T2"]["confirmed"]
    assert "**Not confirmed on test** (once, for `T2` only)" in _markdown(grid["points"])


def test_an_old_grid_is_shown_never_selected_and_says_to_re_run():
    from snntext.report.frontier import low_energy_profile

    old = fake_grid({"T50": (50, -0.005), "T2": (2, -0.014), "T4": (4, -0.005)}, dev=False)
    summary = setting_summary(old["points"], REFERENCE, ["mr", "chnsenti"], REFERENCE)
    assert not any(s["judged"] or s["meets"] for s in summary.values())
    assert summary["T4"]["meets_on_test_paper"]  # the older verdict, kept to compare
    assert low_energy_profile(summary) is None
    text = _markdown(old["points"])
    assert "**No setting can be judged on dev.**" in text
    assert "The grid must be re-run (`scripts/run_energy_grid.py`) for a dev-selected verdict." in text
    assert "the best worst test gap was `T4`'s, −0.50 points at a paper ratio of at most 0.39" in text
    assert "not judged (no dev numbers)" in text and "(selected on dev)" not in text
    # mixed: an old setting with better numbers than every new one is still never selected
    new = fake_grid({"T2": (2, -0.014)})["points"]
    mixed = [p for p in old["points"] if p["setting"] != "T2"] + new
    mixed_summary = setting_summary(mixed, REFERENCE, ["mr", "chnsenti"], REFERENCE)
    assert low_energy_profile(mixed_summary) == "T2"
    assert "`T50`, `T4` lack the dev accuracy" in _markdown(mixed)


def test_the_target_is_judged_with_neuron_updates_under_the_fair_accounting():
    """T4's paper ratio (0.39) meets the target but its fair ratio with neuron updates (x 1.5: 0.59) does not;
    T8's paper ratio (0.78) does not, its fair one (x 0.5: 0.39) does."""
    from snntext.report.frontier import fair_ratio, low_energy_profile

    grid = fake_grid({"T4": (4, -0.005), "T8": (8, -0.005)}, fair={"T4": 1.5, "T8": 0.5})
    t4 = next(p for p in grid["points"] if p["setting"] == "T4")
    assert t4["ratio"] < 0.5 < fair_ratio(t4)["value"]
    summary = setting_summary(grid["points"], REFERENCE, ["mr", "chnsenti"], REFERENCE)
    assert summary["T4"]["meets_on_test_paper"] and not summary["T4"]["meets"]
    assert summary["T8"]["meets"] and not summary["T8"]["meets_on_test_paper"]
    assert low_energy_profile(summary) == "T8"
    text = _markdown(grid["points"])
    # the paper's ratio stays beside the fair one: T8 on MR, paper 0.78, fair with neuron updates 0.39
    assert "| 14.04 | 0.78 | 0.39 [0.35, 0.43] |" in text


def test_every_frontier_point_shows_its_ratio_with_weight_reads():
    from snntext.report.frontier import fair_weight_read_ratio, overhead_ratios

    grid = fake_grid({"T50": (50, -0.005), "T4": (4, -0.005)})
    old = fake_grid({"T8": (8, 0.0)}, dev=False)["points"]
    points = grid["points"] + old
    text = _markdown(points)
    for ds in ("MR", "ChnSenti"):
        table = text.split(f"### {ds}")[1].split("###")[0].split("## ")[0]
        rows = [line for line in table.splitlines() if line.startswith("| `") or line.startswith("| **`")]
        assert len(rows) == 3
        for row in rows:
            assert row.split(" | ")[9] != "–", row  # the "+ weight reads" cell of every point
    t4 = next(p for p in points if p["setting"] == "T4" and p["dataset"] == "mr")
    e = t4["sentence_energy"]["test"]["fair"]
    expected = (e["snn_with_neuron_updates_uj"] + 10e-6 * e["snn_synops"]) / (
        e["dnn_with_neuron_updates_uj"] + 10e-6 * e["dnn_macs"]
    )
    assert fair_weight_read_ratio(t4) == pytest.approx(expected)
    paper = overhead_ratios(points, "T8", "mr", PARAMS)
    assert paper is not None and f"| {paper[1]:.2f} (paper) |" in text  # the old point: the paper's, marked


def test_grid_point_keeps_the_energy_stage_s_dev_and_test_numbers():
    from snntext.report.frontier import grid_point, has_dev, usable_energy
    from tests.report.fake_metrics import dataset_metrics, sentence_energy_metrics

    m = dataset_metrics("mr", 0.76, "en", "glove-6b-50d")
    energy = sentence_energy_metrics("mr", snn_uj=3.0, accuracy={"dev": 0.74, "test": 0.73})
    p = grid_point("T8", "mr", m["finetune"], m["train_dnn"], energy=energy)
    assert has_dev(p) and p["snn_dev_acc_mean"] == pytest.approx(0.74) and p["dev_draws"] == 5
    assert p["dnn_dev_acc"] == pytest.approx(0.77)
    test = p["sentence_energy"]["test"]
    assert test["accuracy_over_draws"]["mean"] == pytest.approx(0.73)
    assert test["fair"]["ratio"]["value"] == pytest.approx(0.3)
    assert test["fair"]["ratio_with_neuron_updates"]["value"] == pytest.approx(3.9 / 10.1)
    assert test["paper"]["ratio"]["value"] == pytest.approx(3.3 / 20)
    assert test["spikes_per_input_channel"]["mean"] == 24.0 and test["real_token_share"] == 0.25
    old = grid_point("T8", "mr", m["finetune"], m["train_dnn"])
    assert not has_dev(old) and "sentence_energy" not in old
    del energy["splits"]["dev"]["accuracy_over_draws"]  # an energy stage run before it recorded the draws
    assert usable_energy(energy) is None and usable_energy(None) is None


def test_a_dearer_dnn_s_fair_ratio_is_taken_to_the_reference_dnn():
    from snntext.report.frontier import against_reference_dnn, fair_ratio

    base = fake_grid({"T50": (50, -0.005)})["points"]
    own = fake_grid({"T8-signed": (8, -0.01)})["points"]
    for p in own:  # a signed-code DNN: twice the paper energy, twice the fair energy on the same sentences
        p["dnn_energy_uj"] *= 2
        for split in p["sentence_energy"].values():
            for key in ("dnn_uj", "dnn_with_neuron_updates_uj", "dnn_macs"):
                split["fair"][key] *= 2
    rebased = {p["dataset"]: p for p in against_reference_dnn(base + own) if p["setting"] == "T8-signed"}
    before = fair_ratio(own[0])
    after = fair_ratio(rebased[own[0]["dataset"]])
    assert after["value"] == pytest.approx(2 * before["value"]) and after["ci_high"] == pytest.approx(
        2 * before["ci_high"]
    )
    fair = rebased["mr"]["sentence_energy"]["test"]["fair"]
    assert fair["own_dnn_uj"] == pytest.approx(2 * fair["dnn_uj"])


def test_the_figure_marks_the_point_selected_on_dev(tmp_path):
    from snntext.report.figures import energy_frontier
    from snntext.report.frontier import figure_series

    grid = fake_grid({"T50": (50, -0.005), "T2": (2, -0.014, -0.004), "T4": (4, -0.005, -0.012)})
    series = figure_series(grid["points"], REFERENCE, ["mr", "chnsenti"], "T2")
    assert all(s["selected"] == "T2" for s in series.values())
    marked = energy_frontier(series, tmp_path / "marked.png").read_bytes()
    plain = energy_frontier(figure_series(grid["points"], REFERENCE, ["mr", "chnsenti"]), tmp_path / "plain.png")
    assert marked != plain.read_bytes()


def test_report_with_a_dev_grid_rings_the_selected_point(tmp_path):
    datasets = write_fake_run(tmp_path / "metrics")
    grid = fake_grid({"T50": (50, -0.005), "T2": (2, -0.014, -0.004), "T4": (4, -0.005, -0.012)})
    (tmp_path / "metrics" / GRID_FILE).write_text(json.dumps(grid))
    write_reports(
        datasets, PARAMS, metrics_dir=tmp_path / "metrics", reports_dir=tmp_path / "reports", environment=ENVIRONMENT
    )
    energy = (tmp_path / "reports" / "energy.md").read_text()
    assert "The point ringed in red is `T2`, the setting selected on dev." in energy


def test_a_new_signed_setting_beside_an_old_reference_is_not_judged():
    """Re-running one retrained setting before the reference T50: its fair ratios are still to its own, dearer
    DNN, so it is not selected, and the report says the reference must be re-run."""
    from snntext.report.frontier import against_reference_dnn, has_dev, low_energy_profile

    old_base = fake_grid({"T50": (50, -0.005)}, dev=False)["points"]
    signed = fake_grid({"T8-signed": (8, -0.005)}, fair={"T8-signed": 0.5})["points"]
    for p in signed:
        p["dnn_energy_uj"] *= 2
    points = against_reference_dnn(old_base + signed)
    assert all(p.get("fair_against_own_dnn") and not has_dev(p) for p in points if p["setting"] == "T8-signed")
    assert low_energy_profile(setting_summary(points, REFERENCE, ["mr", "chnsenti"], REFERENCE)) is None
    text = _markdown(points)
    assert "(own DNN)" in text and "`T50`, `T8-signed` lack the dev accuracy" in text


def test_a_gap_at_the_limit_meets_the_target_whatever_float32_rounding_gives():
    """15 of 1000 sentences is −1.5 points exactly; float32 accuracies read it as −1.4999986 or −1.5000014."""
    from snntext.report.frontier import within_gap_target

    assert within_gap_target(-1.4999986) and within_gap_target(-1.5000014) and within_gap_target(-1.5)
    assert not within_gap_target(-1.501) and not within_gap_target(-1.6)
    grid = fake_grid({"T50": (50, -0.005), "T2": (2, -0.015000014, -0.015000014)})
    summary = setting_summary(grid["points"], REFERENCE, ["mr", "chnsenti"], REFERENCE)
    assert summary["T2"]["meets"] and summary["T2"]["confirmed"]
