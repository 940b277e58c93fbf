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
    summary = setting_summary(grid["points"], REFERENCE, ["mr", "chnsenti"])
    assert summary["T4"]["meets"] and summary["T4"]["worst_ratio"] <= 0.5
    assert summary["T4"]["worst_gap"] == pytest.approx(-1.0)
    assert not summary["T4-bad"]["meets"]  # 2 points below the DNN
    assert not summary["T8"]["meets"]  # ratio about 0.78
    partial = [p for p in grid["points"] if not (p["setting"] == "T4" and p["dataset"] == "chnsenti")]
    assert not setting_summary(partial, REFERENCE, ["mr", "chnsenti"])["T4"]["meets"]  # one dataset missing


def test_markdown_states_the_winner_or_the_honest_miss():
    args = dict(settings={}, figure="figures/energy_frontier.png", grid_info={}, params=PARAMS)
    met = frontier_markdown(
        fake_grid({"T4": (4, -0.01), "T8": (8, 0.0)})["points"], REFERENCE, ["mr", "chnsenti"], **args
    )
    assert "**The target is met** by `T4`" in met
    missed = frontier_markdown(
        fake_grid({"T4": (4, -0.03), "T8": (8, 0.0)})["points"], REFERENCE, ["mr", "chnsenti"], **args
    )
    assert "not met by any measured setting" in missed
    assert "Best ratio within 1.5 points on every dataset: `T8`" in missed
    assert "Best worst-gap at ratio ≤ 0.5 on every dataset: `T4`" in missed


def test_report_with_a_grid_draws_the_frontier(tmp_path):
    datasets = write_fake_run(tmp_path / "metrics")
    (tmp_path / "metrics" / GRID_FILE).write_text(json.dumps(fake_grid({"T4": (4, -0.01), "T8": (8, 0.0)})))
    written = write_reports(
        datasets, PARAMS, metrics_dir=tmp_path / "metrics", reports_dir=tmp_path / "reports", environment=ENVIRONMENT
    )
    assert tmp_path / "reports" / "figures" / "energy_frontier.png" in written
    energy = (tmp_path / "reports" / "energy.md").read_text()
    assert "## Accuracy against energy: the frontier" in energy
    assert "| `T4` | 4 | 75.00 ± 1.00 | −1.00 [−2.00, +0.00] |" in energy  # MR: DNN 76, SNN 75
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
    assert "| Tailored DNN | – | 74.00 |" in energy  # the grid's DNN (74), not the committed run's (76)
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
        "finetune",
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
    assert "| `T8-signed` | 8 | 77.00 ± 1.00 | +1.00; to its own DNN (78.00): −1.00 [−2.00, +0.00] |" in text
    assert "| `T50` | 50 | 75.50 ± 1.00 | −0.50 [−1.50, +0.50] |" in text  # the reference's own DNN: one gap


def test_a_retrained_dnn_of_equal_accuracy_still_shows_its_own_gap():
    grid = fake_grid({"T50": (50, -0.005)})
    own = fake_grid({"T8-signed": (8, -0.01)})["points"]  # its own DNN happens to score as the reference
    settings = {"T8-signed": {"what": "signed", "overrides": {"timesteps": 8, "embed.code": "signed"}}}
    text = frontier_markdown(
        grid["points"] + own, REFERENCE, ["mr"], settings=settings, figure=None, grid_info={}, params=PARAMS
    )
    assert "| `T8-signed` | 8 | 75.00 ± 1.00 | −1.00; to its own DNN (76.00): −1.00 [−2.00, +0.00] |" in text


def test_readme_low_energy_profile_is_the_grid_setting_that_met_the_target():
    """The documented profile runs the overrides of the committed grid's profile setting (less kim.epochs,
    which only speeds the grid: Kim's TextCNN is not on the frontier)."""
    import shlex

    from tests.report.test_tables import ROOT

    readme = (ROOT / "README.md").read_text()
    line = next(l for l in readme.splitlines() if l.startswith("dvc exp run -n low-energy"))
    argv = shlex.split(line)
    documented = {argv[i + 1].split("=")[0]: argv[i + 1].split("=")[1] for i, a in enumerate(argv) if a == "-S"}
    measured = load_grid(ROOT / "metrics" / GRID_FILE)
    assert measured is not None, "the committed grid is the profile's evidence"
    from snntext.report.frontier import against_reference_dnn, low_energy_profile, reference_accuracy

    points = against_reference_dnn(measured["points"])
    reference = reference_accuracy(points, {p["dataset"]: p["dnn_test_acc"] for p in points if p["setting"] == "T50"})
    profile = low_energy_profile(setting_summary(points, reference, sorted(reference)))
    assert profile is not None
    assert documented == {k: str(v) for k, v in setting(profile).overrides.items() if k != "kim.epochs"}


def test_the_profile_is_the_winner_with_the_best_worst_gap():
    from snntext.report.frontier import low_energy_profile

    grid = fake_grid({"T2": (2, -0.014), "T4": (4, -0.005), "T8": (8, 0.0)})  # T2 and T4 meet; T8 is too dear
    summary = setting_summary(grid["points"], REFERENCE, ["mr", "chnsenti"])
    assert low_energy_profile(summary) == "T4"
    text = frontier_markdown(
        grid["points"], REFERENCE, ["mr", "chnsenti"], settings={}, figure=None, grid_info={}, params=PARAMS
    )
    assert "the winner with the best worst gap, `T4`" in text and "`T2` is cheaper (worst ratio 0.19" in text
    assert (
        low_energy_profile(setting_summary(grid["points"], {"mr": 0.80, "chnsenti": 0.90}, ["mr", "chnsenti"])) is None
    )


def test_recorded_wall_times_are_stated():
    grid = fake_grid({"T4": (4, -0.01), "T8": (8, 0.0)})
    settings = {"T4": {"what": "T = 4", "wall_s": 1500.0}, "T8": {"what": "T = 8"}}
    text = frontier_markdown(
        grid["points"], REFERENCE, ["mr", "chnsenti"], settings=settings, figure=None, grid_info={}, params=PARAMS
    )
    assert "`T4` 25 min; not recorded for the others (run before per-setting times were kept)." in text


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
