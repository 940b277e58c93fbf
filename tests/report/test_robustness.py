"""reports/robustness.md on tiny fake attack metrics: the overall verdict (the primary result) from the exact
paired test, per recipe rows with p-values Holm-adjusted over the cells, the paper's claim, the old-format
fallback and refused outcomes; and the paper-scale study's section from small synthetic study files (partial
runs, the EOT comparison, no study at all). The full page is in golden/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from snntext.attack.statistics import correct_over_datasets, recipe_statistics
from snntext.core.errors import SnntextError
from snntext.report.metrics import load_run_metrics
from snntext.report.robustness import STUDY_FOLDER, attack_statistics, load_attack_study, p_text, robustness_markdown
from tests.report.fake_metrics import write_fake_run


def render(tmp_path: Path, edit=None, **fake) -> str:
    datasets = write_fake_run(tmp_path / "metrics", **fake)
    if edit is not None:
        path = tmp_path / "metrics" / "attack" / "mr_detail.json"
        data = json.loads(path.read_text())
        edit(data)
        path.write_text(json.dumps(data))
    return robustness_markdown(load_run_metrics(datasets, tmp_path / "metrics"))


def row(text: str, *starts: str) -> str:
    """The one table row beginning with the given cells."""
    prefix = "| " + " | ".join(starts) + " |"
    found = [line for line in text.splitlines() if line.startswith(prefix)]
    assert len(found) == 1, (prefix, found)
    return found[0]


def section(text: str, title: str) -> str:
    start = text.index(title)
    end = text.find("\n## ", start + 1)
    return text[start:] if end < 0 else text[start:end]


def test_overall_table_comes_first_with_intervals_and_a_verdict(tmp_path):
    text = render(tmp_path, attack=("mr", "chnsenti"))
    assert text.index("## Overall") < text.index("## Per dataset and recipe") < text.index("## Recipes skipped")
    assert "## Overall: all datasets and recipes (the primary result)" in text
    assert (
        "**Test examples per cell** (each model and recipe of a dataset is attacked on the same ones): "
        "MR 20, ChnSenti 20." in text
    )
    overall = section(text, "## Overall")
    # 3 cells: MR deepwordbug, MR pwws, ChnSenti deepwordbug (the only recipe there)
    assert "Mean over 3 (dataset, recipe) cells (MR, ChnSenti), 20 examples per cell" in overall
    assert "| Under attack − tailored DNN (points, paired) | p | Verdict |" in overall  # one test: no Holm column
    dnn = row(overall, "Tailored DNN")
    assert "| 83.33 [" in dnn and "| 26.67 [" in dnn and dnn.endswith("| reference | – | – |")
    snn = row(overall, "SNN (deterministic)")
    assert "| 36.67 [" in snn and "| +10.00 [" in snn and snn.endswith("] | 0.412 | no detectable difference |")
    assert (
        "The deterministic SNN's accuracy under attack cannot be told apart from the tailored DNN's at 20 "
        "examples per cell: +10.00 points [" in overall
    )
    assert "(exact paired test p = 0.412)." in overall


def test_paper_claim_sits_beside_our_difference(tmp_path):
    overall = section(render(tmp_path), "## Overall")
    assert '"+13.55% robust accuracy" at T = 50' in overall and "robustness table was not recovered" in overall
    assert "Measured here (SNN − tailored DNN, accuracy under attack): SNN (deterministic) +17.50 [" in overall


def test_a_clear_gain_reads_more_robust(tmp_path):
    def snn_resists_everything(data):
        data["outcomes"]["snn"] = {r: text.replace("S", "F") for r, text in data["outcomes"]["snn"].items()}

    overall = section(render(tmp_path, edit=snn_resists_everything), "## Overall")
    # SNN under attack 75% on both recipes against the DNN's 20% and 10%: +60 points on average
    assert "The deterministic SNN's accuracy under attack is 60.00 points [+" in overall
    # 24 examples only the SNN resisted over the two recipes (12 + 10 + 2 by example): p well below 0.05
    assert "above the tailored DNN's (exact paired test p = " in overall and "): more robust." in overall
    assert row(overall, "SNN (deterministic)").endswith("| more robust |")


def test_per_recipe_rows_carry_intervals_paired_difference_and_the_all_recipes_mean(tmp_path):
    text = render(tmp_path, attack=("mr", "chnsenti"))
    mr = section(text, "### MR")
    assert "**20 test examples per cell**" in mr
    pwws = row(mr, "`pwws`", "SNN (stochastic)")
    # stochastic SNN on pwws: 8 F, 6 S, 6 K; the DNN 2 F: +30 points
    assert pwws.startswith("| `pwws` | SNN (stochastic) | 70.00 | 40.00 [") and "| 42.86 [" in pwws
    assert "| +30.00 [" in pwws and "| 0.109 | 0.328 | no detectable difference | 16.00 | 60.5 |" in pwws
    mean = row(mr, "**all recipes, mean (2)**", "SNN (deterministic)")
    assert "| 32.50 [" in mean and "| +17.50 [" in mean
    chnsenti = section(text, "### ChnSenti")
    assert "`pwws`" not in chnsenti.split("## Recipes skipped")[0]
    assert "- ChnSenti, `pwws`: WordNet has no Chinese synonyms" in text
    assert "TextAttack's PSO (Zang et al. 2020) searches over HowNet sememe substitutes" in text
    assert "- MR: 20 test examples, wall time 321 s; queries/s Tailored DNN 900.0" in text


def test_old_detail_without_outcomes_renders_point_estimates_and_says_why(tmp_path):
    text = render(tmp_path, attack=("mr",), attack_outcomes=())
    assert "No intervals and no verdict: Intervals need the per-example outcomes of a newer attack stage" in text
    assert '"+13.55% robust accuracy"' in text
    mr = section(text, "### MR")
    assert "(point estimates only). Intervals need the per-example outcomes" in mr
    assert (
        row(mr, "`pwws`", "SNN (deterministic)")
        == "| `pwws` | SNN (deterministic) | 75.00 | 30.00 | 60.00 | – | – | – | – | 12.00 | 50.5 |"
    )
    assert "[" not in mr and "all recipes" not in mr and "Intervals: 95%" not in text


def test_a_dataset_without_outcomes_is_left_out_of_the_overall_view(tmp_path):
    text = render(tmp_path, attack=("mr", "chnsenti"), attack_outcomes=("chnsenti",))
    overall = section(text, "## Overall")
    assert "Mean over 1 (dataset, recipe) cell (ChnSenti)" in overall
    assert "Left out of the overall view (attacked before per-example outcomes were kept): MR." in overall


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d["outcomes"]["snn"].update(pwws="SFX" * 5), r"model 'snn', recipe 'pwws'"),
        (lambda d: d["outcomes"]["dnn"].update(pwws="SF"), r"model 'dnn', recipe 'pwws': 2 outcomes"),
    ],
)
def test_bad_outcomes_stop_the_report_naming_the_file(tmp_path, edit, message):
    with pytest.raises(SnntextError, match=message) as err:
        render(tmp_path, edit=edit)
    assert str(tmp_path / "metrics" / "attack" / "mr_detail.json") in str(err.value)


def test_a_run_without_the_dnn_shows_intervals_but_no_difference(tmp_path):
    def drop_dnn(data):
        data["outcomes"].pop("dnn")
        data["models"].pop("dnn")

    text = render(tmp_path, edit=drop_dnn)
    assert "No intervals and no verdict: no dataset has the tailored DNN" in text
    snn = row(section(text, "### MR"), "`pwws`", "SNN (deterministic)")
    assert snn.startswith("| `pwws` | SNN (deterministic) | 75.00 | 30.00 [") and "| – | – |" in snn


def test_cells_carry_p_values_holm_adjusted_over_every_cell_and_the_method_says_so(tmp_path):
    def snn_resists_everything(data):
        data["outcomes"]["snn"] = {r: text.replace("S", "F") for r, text in data["outcomes"]["snn"].items()}

    text = render(tmp_path, attack=("mr", "chnsenti"), edit=snn_resists_everything)
    per_dataset, _ = attack_statistics(
        load_run_metrics(["mr", "chnsenti"], tmp_path / "metrics")
    )  # what the page was written from
    mr = section(text, "### MR").split("### ChnSenti")[0]
    for recipe in ("deepwordbug", "pwws"):
        entry = per_dataset["mr"]["recipes"][recipe]["vs_reference"]["snn"]
        assert entry["tests"] == 3  # MR's two cells and ChnSenti's one
        assert entry["p_holm"] >= entry["p_value"]
        cells = row(mr, f"`{recipe}`", "SNN (deterministic)").split(" | ")
        assert cells[6:9] == [p_text(entry["p_value"]), p_text(entry["p_holm"]), entry["verdict"]]
    mean = per_dataset["mr"]["all_recipes"]["vs_reference"]["snn"]
    assert mean["tests"] == 2  # over the two datasets
    assert row(mr, "**all recipes, mean (2)**", "SNN (deterministic)").split(" | ")[6:9] == [
        p_text(mean["p_value"]),
        p_text(mean["p_holm"]),
        mean["verdict"],
    ]
    method = section(text, "## Per dataset and recipe")
    assert "Intervals: 95% percentile bootstrap over the attacked examples (20000 resamples, seed 0;" in method
    assert "Verdicts do not come from the bootstrap (no seed moves them)" in method
    assert "exact McNemar test" in method
    assert (
        "Holm-adjusted over the 3 cells of this report (per model), the datasets' means over the 2 datasets" in method
    )


def test_verdicts_and_p_values_do_not_move_with_the_bootstrap_seed(tmp_path):
    write_fake_run(tmp_path / "metrics", attack=("mr", "chnsenti"))
    run = load_run_metrics(["mr", "chnsenti"], tmp_path / "metrics")

    def tests(seed: int) -> list:
        per_dataset, pooled = attack_statistics(run, seed=seed, resamples=300)
        assert pooled is not None
        entries = [pooled["vs_reference"]]
        for stats in per_dataset.values():
            entries += [stats["all_recipes"]["vs_reference"], *(e["vs_reference"] for e in stats["recipes"].values())]
        return [(m, v["verdict"], v["p_value"], v["p_holm"], v["tests"]) for entry in entries for m, v in entry.items()]

    first = tests(0)
    assert len(first) == 2 * (1 + 2 + 3)
    assert all(tests(seed) == first for seed in range(1, 20))


# ---------------------------------------------------------------------------------------------------------
# The paper-scale study: metrics/attack_study/<dataset>.json of scripts/run_attack_study.py

# 40 examples, the last 8 (DNN) or 10 (SNNs) wrong already; the EOT attack breaks the stochastic SNN more often
STUDY_OUTCOMES = {
    "dnn": {"deepwordbug": "S" * 24 + "F" * 8 + "K" * 8, "pwws": "S" * 28 + "F" * 4 + "K" * 8},
    "snn": {"deepwordbug": "F" * 18 + "S" * 12 + "K" * 10, "pwws": "F" * 14 + "S" * 16 + "K" * 10},
    "snn_stochastic": {"deepwordbug": "F" * 20 + "S" * 10 + "K" * 10, "pwws": "F" * 16 + "S" * 14 + "K" * 10},
    "snn_eot": {"deepwordbug": "F" * 13 + "S" * 17 + "K" * 10, "pwws": "F" * 9 + "S" * 21 + "K" * 10},
}


def study_file(ds: str, done: int = 40, planned: int = 40, models=tuple(STUDY_OUTCOMES)) -> dict:
    """As scripts/run_attack_study.py writes it (the keys the report reads), the first `done` outcomes."""
    outcomes = {m: {r: text[:done] for r, text in STUDY_OUTCOMES[m].items()} for m in models}

    def cell(text: str) -> dict:
        s, f, k = (text.count(c) for c in "SFK")
        return {
            "examples": len(text),
            "clean_accuracy": (s + f) / len(text),
            "accuracy_under_attack": f / len(text),
            "success_rate": s / (s + f),
            "avg_perturbed_word_share": 0.1,
            "avg_queries": 50.0,
        }

    sitting = {"date": "2026-12-09 10:00 UTC", "wall_s": 3600.0, "ended": "finished", "backend": "ray"}
    return {
        "dataset": ds,
        "examples": done,
        "examples_planned": planned,
        "examples_done": done,
        "partial": done < planned,
        "models": {m: {r: cell(t) for r, t in per.items()} for m, per in outcomes.items()},
        "outcomes": outcomes,
        "skipped_recipes": {"textbugger": "not for language 'zh'"} if ds == "chnsenti" else {},
        "wall_s": 7200.0,
        "sittings": [sitting, sitting],
        "ran_on": {"cpu": {"model": "AMD EPYC"}},
        "commit": "abc1234567",
    }


def render_study(tmp_path: Path, attack=("mr",), **files: dict) -> str:
    datasets = write_fake_run(tmp_path / "metrics", attack=attack)
    folder = tmp_path / "metrics" / STUDY_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for ds, data in files.items():
        (folder / f"{ds}.json").write_text(json.dumps(data))
    return robustness_markdown(load_run_metrics(datasets, tmp_path / "metrics"), load_attack_study(folder))


def test_without_a_study_the_section_says_how_to_run_it(tmp_path):
    study = section(render_study(tmp_path), "## Paper-scale study")
    assert "The paper-scale study has not run: no `metrics/attack_study/<dataset>.json`." in study
    assert "`PYTHONPATH=src python scripts/run_attack_study.py` (`--dry-run` prints the plan" in study
    assert load_attack_study(tmp_path / "nowhere") == {}


def test_the_study_has_its_overall_difference_per_cell_verdicts_and_runs(tmp_path):
    text = render_study(tmp_path, mr=study_file("mr"), chnsenti=study_file("chnsenti"))
    assert text.index("### MR") < text.index("## Paper-scale study") < text.index("## How the attacks differ")
    study = section(text, "## Paper-scale study")
    assert "**Examples done**: MR 40 of 40 examples, ChnSenti 40 of 40 examples." in study  # the run's order
    assert "Partial run" not in study
    overall = study[study.index("### Overall") : study.index("### The stochastic SNN under EOT")]
    assert "Mean over 4 (dataset, recipe) cells (MR, ChnSenti), 40 examples per cell" in overall
    assert row(overall, "Tailored DNN").endswith("| reference | – | – |")
    assert "| +25.00 [" in row(overall, "SNN (deterministic)") and row(overall, "SNN (deterministic)").endswith(
        "| more robust |"
    )
    assert (
        "- The stochastic SNN under an EOT attack's accuracy under attack cannot be told apart from the tailored "
        "DNN's at 40 examples per cell: +12.50 points [" in overall
    )
    assert "Measured here (SNN − tailored DNN, accuracy under attack): SNN (deterministic) +25.00 [" in overall
    # per cell: p Holm-adjusted over the study's 4 cells, per model
    mr = section(study, "### MR, paper-scale: 40 of 40 examples").split("### ChnSenti")[0]
    stats = correct_over_datasets({ds: recipe_statistics(STUDY_OUTCOMES, dataset=ds) for ds in ("chnsenti", "mr")})
    entry = stats["mr"]["recipes"]["pwws"]["vs_reference"]["snn_eot"]
    assert entry["tests"] == 4
    cells = row(mr, "`pwws`", "SNN (stochastic, EOT attack)").split(" | ")
    assert cells[6:9] == [p_text(entry["p_value"]), p_text(entry["p_holm"]), entry["verdict"]]
    assert "- MR: 40 of 40 examples; wall time 2.0 h over 2 sittings (last 2026-12-09 10:00 UTC, finished, " in study
    assert "machine AMD EPYC; code abc1234567" in study
    assert "- ChnSenti: 40 of 40 examples; " in study and "skipped: `textbugger` (not for language 'zh')" in study


def test_the_eot_attack_sits_beside_the_plain_one_with_the_advantage_it_leaves(tmp_path):
    study = section(render_study(tmp_path, mr=study_file("mr"), sst5=study_file("sst5")), "## Paper-scale study")
    eot = study[study.index("### The stochastic SNN under EOT") : study.index("### MR, paper-scale")]
    assert "| Dataset | SNN (stochastic), plain attack | SNN (stochastic), EOT attack | EOT − plain" in eot
    mr = row(eot, "MR")
    # stochastic SNN 45.00 under attack, EOT 27.50; over the DNN's 15.00: +30.00 plain, +12.50 under EOT
    assert mr.startswith("| MR | 45.00 [") and "| 27.50 [" in mr and "| −17.50 [" in mr
    assert mr.endswith("| less robust | +30.00 | +12.50 | 42% |")  # 12.5 / 30
    both = row(eot, "**all datasets**")
    assert "| −17.50 [" in both and both.endswith("| – | less robust | +30.00 | +12.50 | 42% |")  # no Holm: one test


def test_a_partial_run_is_labelled_as_such(tmp_path):
    study = section(render_study(tmp_path, mr=study_file("mr"), sst5=study_file("sst5", 20, 300)), "## Paper-scale")
    assert "**Examples done**: MR 40 of 40 examples, SST-5 20 of 300 examples (partial run)." in study
    assert "**Partial run**: SST-5 (20 of 300 examples). Its statistics cover the first examples" in study
    assert "### SST-5, paper-scale: 20 of 300 examples (partial run)" in study
    assert "**20 test examples per cell**" in section(study, "### SST-5, paper-scale")
    assert "- SST-5: 20 of 300 examples (partial run); wall time 2.0 h" in study
    assert "20–40 examples per cell" in study


def test_a_study_without_the_stage_or_the_eot_model_still_reads(tmp_path):
    plain = study_file("mr", models=("dnn", "snn", "snn_stochastic"))
    text = render_study(tmp_path, attack=(), mr=plain)
    assert "No attack metrics: the `attack` stage did not run" in text
    study = section(text, "## Paper-scale study")
    assert "### Overall" in study and "### MR, paper-scale" in study and "under EOT" not in study


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", r"mr.json: not valid JSON"),
        (json.dumps([1]), r"mr.json: expected a JSON object"),
        (json.dumps({**study_file("mr"), "examples_planned": None}), r"key 'examples_planned' must be int"),
        (json.dumps({k: v for k, v in study_file("mr").items() if k != "sittings"}), r"missing key 'sittings'"),
    ],
)
def test_a_bad_study_file_stops_the_report_naming_it(tmp_path, content, message):
    folder = tmp_path / STUDY_FOLDER
    folder.mkdir()
    (folder / "mr.json").write_text(content)
    with pytest.raises(SnntextError, match=message) as err:
        load_attack_study(folder)
    assert str(folder / "mr.json") in str(err.value) and "--collect-only --datasets mr" in str(err.value)


def test_bad_study_outcomes_name_the_file(tmp_path):
    bad = study_file("mr")
    bad["outcomes"]["snn"]["pwws"] = "SF"
    with pytest.raises(SnntextError, match=r"metrics/attack_study/mr.json: key 'outcomes': .*'snn', recipe 'pwws'"):
        render_study(tmp_path, mr=bad)
