"""scripts/run_attack_study.py and snntext.attack.study on fakes: parsing the arguments, the plan and its cost,
and running a dataset in sittings (resumed from the kept shards, stopped runs written as partial). The job is a
fake whose outcomes are a function of the position: no model is loaded and nothing is attacked."""

from __future__ import annotations

import json
import sys
from dataclasses import replace

import pytest

from snntext.attack.shards import ShardStore
from snntext.attack.study import (
    PSO_COST,
    STUDY_EXAMPLES,
    DatasetPlan,
    cell_seconds,
    estimate_core_seconds,
    finished_prefix,
    parse_examples,
    parse_names,
    plan_study,
    plan_text,
    run_study_dataset,
)
from snntext.core import paths
from snntext.core.config import ATTACK_MODELS, RECIPES, AttackConfig
from snntext.core.errors import SnntextError
from tests.scripts import load_script

BASE = AttackConfig(
    examples=150,
    recipes=("deepwordbug", "pwws"),
    models=("dnn", "snn"),
    similarity=0.85,
    eot_draws=8,
    backend="ray",
    shard_size=2,
    retries=0,
    seed=3,
    timesteps=50,
)
ZH_RECIPES = ("deepwordbug", "textfooler", "pso")


def skip_reason(recipe: str, language: str) -> str | None:
    """The language filter of snntext.attack.recipes, without importing textattack."""
    return None if language == "en" or recipe in ZH_RECIPES else f"not for language '{language}'"


# snntext.attack.run imports textattack: a test that runs a dataset has it prepared offline first
needs_textattack = pytest.mark.usefixtures("offline_resources")


def languages(ds: str) -> str:
    return "zh" if ds in ("chnsenti", "waimai") else "en"


# ---------------------------------------------------------------------------------------------------------
# Arguments


def test_examples_default_to_the_paper_scale_and_take_one_number_or_pairs():
    assert parse_examples(None, STUDY_EXAMPLES) == STUDY_EXAMPLES
    assert STUDY_EXAMPLES == {"mr": 1000, "sst2": 1000, "sst5": 300, "subj": 300, "chnsenti": 300, "waimai": 300}
    assert parse_examples("50", ["mr", "waimai"]) == {"mr": 50, "waimai": 50}
    assert parse_examples("mr=20, sst2=30", ["mr", "sst2", "subj"]) == {"mr": 20, "sst2": 30, "subj": 300}
    assert parse_examples(None, ["mine"]) == {"mine": 300}  # a user's dataset


@pytest.mark.parametrize(
    "spec, message",
    [
        ("mr=ten", "--examples mr: 'ten' is not a whole number"),
        ("0", r"--examples: 0 examples; between 1 and 10000"),
        ("waimai=10", "--examples names 'waimai', which is not among the datasets \\(mr, sst2\\)"),
        ("mr=10,sst2", "'sst2' is not dataset=number"),
    ],
)
def test_bad_examples_are_refused(spec, message):
    with pytest.raises(SnntextError, match=message):
        parse_examples(spec, ["mr", "sst2"])


def test_names_come_as_arguments_or_comma_lists_each_once():
    assert parse_names(None, RECIPES, ("pso",), "recipes") == ("pso",)
    assert parse_names(["pwws,pso", "pwws", "deepwordbug"], RECIPES, (), "recipes") == ("pwws", "pso", "deepwordbug")
    with pytest.raises(SnntextError, match=r"--models: unknown 'bert'; known: dnn, kim, snn"):
        parse_names(["dnn", "bert"], ATTACK_MODELS, (), "models")


def test_the_plan_keeps_the_stage_settings_and_applies_the_language_filter():
    plans = plan_study(
        {"mr": 1000, "chnsenti": 300},
        ("deepwordbug", "pwws", "textfooler", "textbugger", "pso"),
        ("dnn", "snn", "snn_stochastic", "snn_eot"),
        BASE,
        language_of=languages,
        skip_reason=skip_reason,
        workers=4,
    )
    mr, chnsenti = plans
    assert mr.settings == replace(
        BASE,
        examples=1000,
        recipes=("deepwordbug", "pwws", "textfooler", "textbugger", "pso"),
        models=("dnn", "snn", "snn_stochastic", "snn_eot"),
        workers=4,
    )
    assert mr.settings.eot_draws == 8 and mr.settings.backend == "ray" and mr.settings.seed == 3
    assert mr.runnable == mr.settings.recipes and not mr.skipped and mr.attacks == 1000 * 5 * 4
    assert chnsenti.runnable == ZH_RECIPES and list(chnsenti.skipped) == ["pwws", "textbugger"]
    assert chnsenti.attacks == 300 * 3 * 4


def test_a_setting_the_stage_would_refuse_is_refused():
    with pytest.raises(SnntextError, match="attack study settings for mr: AttackConfig.workers"):
        plan_study({"mr": 10}, ("pwws",), ("dnn",), BASE, language_of=languages, skip_reason=skip_reason, workers=-1)


# ---------------------------------------------------------------------------------------------------------
# The cost


def stage_detail(cells: dict[str, dict[str, float]], examples: int = 10) -> dict:
    """A stage detail file's `models` with the given seconds per example."""
    return {
        "models": {
            model: {recipe: {"examples": examples, "wall_s": s * examples} for recipe, s in per_recipe.items()}
            for model, per_recipe in cells.items()
        }
    }


def test_cells_the_stage_did_not_measure_are_derived():
    measured = {"dnn": {"textfooler": 0.2, "pwws": 0.1}, "snn_stochastic": {"textfooler": 0.5, "pwws": 0.3}}
    assert cell_seconds("dnn", "pwws", measured, "en", 8) == 0.1
    assert cell_seconds("dnn", "pso", measured, "en", 8) == pytest.approx(0.2 * PSO_COST["en"])
    assert cell_seconds("dnn", "pso", measured, "zh", 8) == pytest.approx(0.2 * 50)
    assert cell_seconds("snn_eot", "pwws", measured, "en", 8) == pytest.approx(0.1 + 8 * 0.2)
    assert cell_seconds("kim", "textfooler", measured, "en", 8) == 0.2
    assert cell_seconds("snn", "pwws", measured, "en", 8) is None


def test_the_estimate_sums_every_cell_and_says_when_it_cannot():
    plan = plan_study(
        {"mr": 100}, ("pwws", "pso"), ("dnn", "snn_eot"), BASE, language_of=languages, skip_reason=skip_reason
    )[0]
    detail = stage_detail({"dnn": {"pwws": 0.1, "textfooler": 0.2}, "snn_stochastic": {"pwws": 0.3, "textfooler": 0.5}})
    per_example = 0.1 + 0.2 * 20 + (0.1 + 8 * 0.2) + (0.2 * 20 + 8 * (0.5 * 20 - 0.2 * 20))
    assert estimate_core_seconds(plan, detail) == pytest.approx(100 * per_example)
    assert estimate_core_seconds(plan, None) is None
    text = plan_text([plan], {"mr": 3600.0 * 4}, 2, {"mr": 3})
    assert "mr   100 examples x 2 recipes x 2 models = 400 attacks; ~4.0 h of one core; 3 shard file(s) kept" in text
    assert "Total 400 attacks; ~4.0 h of one core, ~2.0 h on 2 core(s)" in text


# ---------------------------------------------------------------------------------------------------------
# Running in sittings


class FakeJob:
    """An AttackJob's shape: outcomes per position (S, F or K by position and model), calls recorded; raises
    `stop` (an exception instance) on the positions in `stop_at`."""

    def __init__(self, n: int, models=("dnn", "snn"), recipes=("deepwordbug", "pwws"), key="f" * 64):
        self.key, self.language = key, "en"
        self.examples = [(f"text {i}", i % 2) for i in range(n)]
        self.indices = [100 + i for i in range(n)]
        self.models, self.recipes = models, recipes
        self.calls: list[list[int]] = []
        self.stop_at: set[int] = set()
        self.stop: BaseException | None = None

    def cell(self, position: int, model: str) -> dict:
        status = "K" if position % 5 == 4 else "F" if (model != "dnn" and position % 2 == 0) else "S"
        cell = {"status": status, "model_queries": 10, "wall_s": 0.5}
        if status != "K":
            cell["queries"] = 12
        if status == "S":
            cell |= {"perturbed_word_share": 0.25, "perturbed_text": f"txet {position}", "perturbed_label": 1}
        return cell

    def run(self, positions: list[int]) -> list[dict]:
        self.calls.append(list(positions))
        if self.stop is not None and self.stop_at & set(positions):
            raise self.stop
        return [
            {
                "position": p,
                "index": self.indices[p],
                "label": self.examples[p][1],
                "text": self.examples[p][0],
                "cells": {m: {r: self.cell(p, m) for r in self.recipes} for m in self.models},
                "skipped": {"textbugger": "not here"},
            }
            for p in positions
        ]


def tiny_plan(n: int) -> DatasetPlan:
    settings = replace(BASE, examples=n, backend="local")
    return DatasetPlan("mr", "en", settings, settings.recipes, {})


def run_sitting(tmp_path, job, n=10, **options) -> dict:
    return run_study_dataset(
        tiny_plan(n), job, tmp_path / "data" / "mr", tmp_path / "metrics" / "mr.json", log=lambda line: None, **options
    )


@needs_textattack
def test_a_whole_run_writes_the_stage_statistics_and_the_study_record(tmp_path):
    results = run_sitting(tmp_path, FakeJob(10))
    written = json.loads((tmp_path / "metrics" / "mr.json").read_text())
    assert written == json.loads(json.dumps(results))
    assert written["examples"] == written["examples_planned"] == written["examples_done"] == 10
    assert written["partial"] is False and written["status"] == "complete"
    assert written["outcomes"]["snn"]["pwws"] == "FSFSKSFSFK" and written["outcomes"]["dnn"]["pwws"] == "SSSSKSSSSK"
    assert written["statistics"]["reference"] == "dnn" and written["statistics"]["all_recipes"]["recipes"] == [
        "deepwordbug",
        "pwws",
    ]
    assert written["indices"] == list(range(100, 110)) and written["skipped_recipes"] == {"textbugger": "not here"}
    assert written["under_attack"] == {"dnn": 0.0, "snn": 0.4}
    assert written["shards"] | {"folder": None} == {
        "count": 5,
        "size": 2,
        "finished": 5,
        "counted": 5,
        "key": "f" * 16,
        "folder": None,
    }
    (sitting,) = written["sittings"]
    assert sitting["ended"] == "finished" and sitting["shards_attacked"] == 5 and written["wall_s"] == sitting["wall_s"]
    assert written["ran_on"]["commit"] == written["commit"] and "cpu" in written["ran_on"]
    assert (tmp_path / "data" / "mr" / "dnn__pwws.csv").read_text().count("\n") == 1 + 8  # header + successes


@needs_textattack
def test_a_stopped_run_is_written_partial_and_the_next_sitting_resumes(tmp_path):
    job = FakeJob(10)
    job.stop_at, job.stop = {6}, KeyboardInterrupt()
    with pytest.raises(KeyboardInterrupt):
        run_sitting(tmp_path, job)
    first = json.loads((tmp_path / "metrics" / "mr.json").read_text())
    assert first["partial"] is True and first["status"] == "partial: 6 of 10 examples"
    assert first["examples_done"] == first["examples"] == 6 and len(first["outcomes"]["dnn"]["pwws"]) == 6
    assert first["sittings"][0]["ended"] == "interrupted" and first["sittings"][0]["shards_attacked"] == 3

    job.stop, job.calls = None, []
    second = run_sitting(tmp_path, job)
    assert job.calls == [[6, 7], [8, 9]]  # only what was missing
    assert second["partial"] is False and second["examples_done"] == 10
    assert [s["ended"] for s in second["sittings"]] == ["interrupted", "finished"]
    assert second["sittings"][1]["shards_attacked"] == 2
    assert second["wall_s"] == pytest.approx(sum(s["wall_s"] for s in second["sittings"]), abs=0.11)
    assert second["outcomes"] == run_sitting(tmp_path / "fresh", FakeJob(10))["outcomes"]  # as if never stopped


@needs_textattack
def test_a_failing_shard_writes_what_is_done_and_stops(tmp_path):
    job = FakeJob(10)
    job.stop_at, job.stop = {2}, RuntimeError("boom")
    with pytest.raises(SnntextError, match="1 shard\\(s\\) failed after 0 retries"):
        run_sitting(tmp_path, job)
    written = json.loads((tmp_path / "metrics" / "mr.json").read_text())
    # shards 0-1, 4-5, 6-7, 8-9 finished; the results count the first ones before the gap only
    assert written["examples_done"] == 2 and written["shards"]["finished"] == 4 and written["shards"]["counted"] == 1
    assert written["sittings"][0]["ended"].startswith("failed: attack: 1 shard(s) failed")


def test_finished_prefix_stops_at_the_first_missing_shard(tmp_path):
    store = ShardStore(tmp_path, "k" * 64)
    shards = [[0, 1], [2, 3], [4]]
    store.save(shards[0], [{"position": 0}, {"position": 1}])
    store.save(shards[2], [{"position": 4}])
    assert finished_prefix(store, shards) == ([{"position": 0}, {"position": 1}], 2)


@needs_textattack
def test_collect_only_attacks_nothing_and_adds_no_sitting(tmp_path):
    run_sitting(tmp_path, FakeJob(10))
    job = FakeJob(10)
    collected = run_sitting(tmp_path, job, collect_only=True)
    assert job.calls == [] and len(collected["sittings"]) == 1 and collected["examples_done"] == 10


@needs_textattack
def test_more_examples_reuse_the_shards_and_another_configuration_starts_afresh(tmp_path):
    run_sitting(tmp_path, FakeJob(6), n=6)
    job = FakeJob(10)
    more = run_sitting(tmp_path, job)
    assert job.calls == [[6, 7], [8, 9]] and len(more["sittings"]) == 2
    other = FakeJob(10, key="e" * 64)
    fresh = run_sitting(tmp_path, other)
    assert len(other.calls) == 5 and len(fresh["sittings"]) == 1  # earlier sittings were another configuration
    assert len(list((tmp_path / "data" / "mr" / "shards").glob("*.json"))) == 10  # kept, not pruned


# ---------------------------------------------------------------------------------------------------------
# The script


@pytest.fixture
def script(monkeypatch, tmp_path):
    """The script as a module, writing under tmp_path, with the language filter and the job faked."""
    module = load_script("run_attack_study")
    monkeypatch.setattr(paths, "DATA_DIR", tmp_path / "data")
    monkeypatch.setattr(paths, "METRICS_DIR", tmp_path / "metrics")
    monkeypatch.setattr(module, "language_filter", lambda: (skip_reason, None))
    return module


def test_dry_run_prints_the_plan_and_its_cost(script, tmp_path, capsys):
    detail = stage_detail({m: {"deepwordbug": 0.5, "textfooler": 1.0} for m in ("dnn", "snn", "snn_stochastic")})
    (tmp_path / "metrics" / "attack").mkdir(parents=True)
    (tmp_path / "metrics" / "attack" / "waimai_detail.json").write_text(json.dumps(detail))
    script.main(["--dry-run", "--datasets", "mr", "waimai", "--examples", "mr=100,waimai=10", "--backend", "local"])
    out = capsys.readouterr().out
    assert "mr       100 examples x 5 recipes x 4 models = 2,000 attacks; no estimate" in out
    # waimai: deepwordbug, textfooler, pso (50 x textfooler); snn_eot as the others: 4 x (0.5 + 1 + 50) s per example
    assert (
        "waimai    10 examples x 3 recipes (pwws, textbugger: not for zh) x 4 models = 120 attacks; ~34 min of one core"
        in out
    )
    assert "Total 2,120 attacks; ~34 min of one core for the 1 dataset(s) with an estimate, ~34 min on 1 core(s)" in out
    assert not (tmp_path / "metrics" / "attack_study").exists() and not (tmp_path / "data").exists()


@needs_textattack
def test_the_script_runs_each_dataset_into_its_metrics_file(script, tmp_path, monkeypatch, capsys):
    jobs = {}

    def build(plan, resources):
        jobs[plan.dataset] = FakeJob(plan.examples, plan.settings.models, plan.runnable)
        return jobs[plan.dataset]

    monkeypatch.setattr("snntext.attack.study.build_study_job", build)
    monkeypatch.setattr(sys, "argv", ["run_attack_study.py"])
    script.main(
        [
            "--datasets",
            "mr,sst5",
            "--examples",
            "4",
            "--recipes",
            "pwws",
            "--models",
            "dnn",
            "snn_eot",
            "--backend",
            "local",
        ]
    )
    for ds in ("mr", "sst5"):
        written = json.loads((tmp_path / "metrics" / "attack_study" / f"{ds}.json").read_text())
        assert written["examples_done"] == 4 and written["models_planned"] == ["dnn", "snn_eot"]
        assert list(written["outcomes"]) == ["dnn", "snn_eot"] and list(written["outcomes"]["dnn"]) == ["pwws"]
        assert (tmp_path / "data" / "attack_study" / ds / "shards").is_dir()
    assert capsys.readouterr().out.endswith("done; now `dvc repro report` for reports/robustness.md\n")
