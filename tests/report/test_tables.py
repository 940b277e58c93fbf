"""The report on tiny fake metrics: golden Markdown, refusals naming the file, seeds, README markers.

Regenerate the golden files after an intended change with SNNTEXT_UPDATE_GOLDEN=1 (then review the diff).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from snntext.core.errors import SnntextError
from snntext.report.accuracy import results_table
from snntext.report.build import write_reports
from snntext.report.doc_blocks import RESULTS, markers, replace_blocks
from snntext.report.markdown import pct
from snntext.report.metrics import DatasetMetrics, Measured, load_run_metrics, measured
from snntext.report.paper import load_paper
from tests.report.fake_metrics import write_fake_run

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden"
ENVIRONMENT = {
    "python": "3.11.7",
    "torch": "2.13.0",
    "date (UTC)": "2000-01-01",
    "CPU": "test CPU (2 logical cores)",
    "GPU": "none (CPU only)",
}
PARAMS = {
    "seed": 0,
    "datasets": ["mr", "chnsenti"],
    "embed": {"english": "glove-6b-50d", "chinese": "synonyms-w2v-100d", "oov": "paper"},
    "timesteps": 50,
    "threshold": 1.0,
    "beta": 1.0,
    "neurons_per_class": 10,
    "train_dnn": {"epochs": 40},
    "finetune": {"epochs": 4},
}
DOCUMENTS = ("accuracy.md", "energy.md", "robustness.md", "README.md")


def make_report(tmp_path: Path, **fake) -> tuple[Path, list[str]]:
    datasets = write_fake_run(tmp_path / "metrics", **fake)
    write_reports(
        datasets, PARAMS, metrics_dir=tmp_path / "metrics", reports_dir=tmp_path / "reports", environment=ENVIRONMENT
    )
    return tmp_path / "reports", datasets


def test_report_matches_golden_markdown(tmp_path):
    reports, _ = make_report(tmp_path)
    for name in DOCUMENTS:
        produced = (reports / name).read_text(encoding="utf-8")
        golden = GOLDEN / name
        if os.environ.get("SNNTEXT_UPDATE_GOLDEN") == "1":
            golden.parent.mkdir(parents=True, exist_ok=True)
            golden.write_text(produced, encoding="utf-8")
        assert golden.is_file(), f"{golden} missing: run with SNNTEXT_UPDATE_GOLDEN=1 once and review it"
        assert produced == golden.read_text(encoding="utf-8"), f"{name} differs from {golden}"


def test_report_numbers_come_from_the_metrics(tmp_path):
    reports, _ = make_report(tmp_path)
    accuracy = (reports / "accuracy.md").read_text()
    # fine-tuned test = base - 0.02, DNN test = base: MR 74.00 vs 76.00, gap -2.00
    assert "| Fine-tuned SNN (ours) | 74.00 | 83.00 | 78.50 |" in accuracy
    assert "| Gap: fine-tuned SNN − tailored DNN (points) | −2.00 | −2.00 | −2.00 |" in accuracy
    assert "| TextCNN (paper) | 77.41 | 86.74 | 82.08 |" in accuracy
    assert "`glove-6b-50d` | 50 |" in accuracy and "`synonyms-w2v-100d` | 100 |" in accuracy
    energy = (reports / "energy.md").read_text()
    assert "4.6 pJ" in energy and "0.9 pJ" in energy
    assert "costs MORE than the DNN on MR, ChnSenti" in energy  # input rate 0.5 x T 50: honest verdict


def test_robustness_without_any_attack_metrics_says_so(tmp_path):
    reports, _ = make_report(tmp_path, attack=())
    text = (reports / "robustness.md").read_text()
    assert "No attack metrics" in text and "MR, ChnSenti" in text


def test_robustness_names_datasets_not_attacked(tmp_path):
    reports, _ = make_report(tmp_path, attack=("mr",))
    text = (reports / "robustness.md").read_text()
    assert "Not attacked in this run (no metrics file): ChnSenti." in text
    assert "`bert_attack`: bert-base-uncased not in the local Hugging Face cache" in text


@pytest.mark.parametrize("stage, dataset", [("finetune", "chnsenti"), ("convert", "mr"), ("prepare", "mr")])
def test_missing_metrics_file_is_refused_naming_it_before_writing(tmp_path, stage, dataset):
    datasets = write_fake_run(tmp_path / "metrics")
    missing = tmp_path / "metrics" / stage / f"{dataset}.json"
    missing.unlink()
    with pytest.raises(SnntextError, match=f"{missing}: metrics file not found"):
        write_reports(
            datasets,
            PARAMS,
            metrics_dir=tmp_path / "metrics",
            reports_dir=tmp_path / "reports",
            environment=ENVIRONMENT,
        )
    assert not (tmp_path / "reports").exists()


def _edit(path: Path, change) -> None:
    """Apply `change` to the headline file, or to its _detail.json where the key lives there."""
    data = json.loads(path.read_text())
    try:
        change(data)
    except KeyError:
        path = path.with_name(path.stem + "_detail.json")
        data = json.loads(path.read_text())
        change(data)
    path.write_text(json.dumps(data))


@pytest.mark.parametrize(
    "stage, change, message",
    [
        ("convert", lambda d: d["options"]["none"]["test"].pop("accuracy"), "missing key 'options.none.test.accuracy'"),
        ("train_dnn", lambda d: d.update(dnn_test_acc="0.8"), "key 'dnn_test_acc' must be a finite number"),
        ("convert", lambda d: d.update(chosen="max"), "'chosen' is 'max'"),
        ("finetune", lambda d: d["energy"]["layers"]["fc"].pop("synops"), "missing key 'energy.layers.fc.synops'"),
        ("finetune", lambda d: d["paired_gap"].pop("ci_low_points"), "missing key 'paired_gap.ci_low_points'"),
        ("sweep", lambda d: d["models"].pop("finetuned"), "missing key 'models.finetuned'"),
        ("attack", lambda d: d["models"]["snn"]["pwws"].update(success_rate="high"), "models.snn.pwws.success_rate"),
        (
            "energy",
            lambda d: d["splits"]["test"]["accountings"]["fair"]["ratio"].pop("ci_low"),
            "missing key 'splits.test.accountings.fair.ratio.ci_low'",
        ),
        ("energy", lambda d: d["splits"].pop("test"), "missing key 'splits.test'"),
    ],
)
def test_malformed_metrics_are_refused_naming_file_and_key(tmp_path, stage, change, message):
    datasets = write_fake_run(tmp_path / "metrics")
    path = tmp_path / "metrics" / stage / "mr.json"
    _edit(path, change)
    with pytest.raises(SnntextError) as err:
        load_run_metrics(datasets, tmp_path / "metrics")
    assert str(path) in str(err.value) and message in str(err.value)


def test_unreadable_json_and_bad_history_are_refused(tmp_path):
    datasets = write_fake_run(tmp_path / "metrics")
    broken = tmp_path / "metrics" / "embed" / "chnsenti.json"
    broken.write_text("{not json")
    with pytest.raises(SnntextError, match=f"{broken}: not valid JSON"):
        load_run_metrics(datasets, tmp_path / "metrics")
    write_fake_run(tmp_path / "metrics")
    history = tmp_path / "metrics" / "finetune" / "mr_history.csv"
    history.write_text("epoch,dev_acc\n1,0.5\n")
    with pytest.raises(SnntextError, match=f"{history}: expected columns"):
        load_run_metrics(datasets, tmp_path / "metrics")
    history.write_text("epoch,train_loss,dev_acc,seconds\n1,0.4,oops,3\n")
    with pytest.raises(SnntextError, match=f"{history} line 2: column 'dev_acc'"):
        load_run_metrics(datasets, tmp_path / "metrics")


def test_several_seeds_show_mean_and_std(tmp_path):
    datasets = write_fake_run(tmp_path / "metrics")
    path = tmp_path / "metrics" / "finetune" / "mr.json"
    _edit(
        path,
        lambda d: d.update(
            seeds=[0, 1, 2], per_seed={"0": {"test_acc": 0.70}, "1": {"test_acc": 0.72}, "2": {"test_acc": 0.74}}
        ),
    )
    run = load_run_metrics(datasets, tmp_path / "metrics")
    value = measured(run["mr"].stages["finetune"], "test_acc")
    assert value.n == 3 and value.mean == pytest.approx(0.72) and value.std == pytest.approx(0.02)
    assert "| Fine-tuned SNN (ours) | 72.00 ± 2.00 | 83.00 |" in results_table(run, load_paper())
    # a key the seeds do not hold falls back to the single top-level value
    assert measured(run["mr"].stages["finetune"], "dev_acc") == Measured(0.75)


def test_pct_formats_percentages_with_two_decimals():
    assert pct(0.12345) == "12.35" and pct(None) == "–" and pct(Measured(0.5, 0.01, 2)) == "50.00 ± 1.00"


def test_paper_numbers_are_the_issue_s():
    rows = load_paper()["rows"]
    order = ("mr", "sst2", "sst5", "subj", "chnsenti", "waimai")
    assert [rows["textcnn"]["values"][d] for d in order] == [77.41, 83.25, 45.48, 94.00, 86.74, 88.49]
    assert [rows["snn"]["values"][d] for d in order] == [75.45, 80.91, 41.63, 90.60, 85.02, 86.66]


def test_readme_results_between_markers_only():
    start, end = markers(RESULTS)
    text = f"# x\n\nbefore\n{start}\nold\n{end}\nafter\n"
    assert replace_blocks(text, {RESULTS: "| new |"}, "README.md") == f"# x\n\nbefore\n{start}\n| new |\n{end}\nafter\n"
    assert replace_blocks("no markers\n", {RESULTS: "| new |"}, "PLAIN.md") == "no markers\n"


def _run_stage(root: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "SNNTEXT_ROOT": str(root),
        "PYTHONPATH": str(ROOT / "src"),
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(root / ".mpl"),
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "stages" / "report.py")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def write_params(path: Path) -> None:
    """The project's params.yaml, on the fake run's two datasets (the stage checks every key)."""
    data = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    path.write_text(yaml.safe_dump({**data, "datasets": ["mr", "chnsenti"]}), encoding="utf-8")


def test_stage_writes_reports_and_readme_block(tmp_path):
    write_fake_run(tmp_path / "metrics")
    write_params(tmp_path / "params.yaml")
    start, end = markers(RESULTS)
    (tmp_path / "README.md").write_text(f"intro\n{start}\n{end}\n")
    done = _run_stage(tmp_path)
    assert done.returncode == 0, done.stderr
    for name in DOCUMENTS:
        assert (tmp_path / "reports" / name).is_file()
    assert len(list((tmp_path / "reports" / "figures").glob("*.png"))) == 4
    readme = (tmp_path / "README.md").read_text()
    assert "| Tailored DNN (ours) | 76.00 | 85.00 | 80.50 |" in readme and readme.startswith("intro\n")


def test_stage_refuses_missing_file_with_one_line(tmp_path):
    write_fake_run(tmp_path / "metrics")
    (tmp_path / "metrics" / "convert" / "mr.json").unlink()
    write_params(tmp_path / "params.yaml")
    done = _run_stage(tmp_path)
    assert done.returncode == 2
    assert (
        done.stderr.strip() == f"error: {tmp_path / 'metrics' / 'convert' / 'mr.json'}: metrics file not found; "
        "run the stage that writes it (dvc repro convert@mr)"
    )
    assert not (tmp_path / "reports").exists()


def test_rate_coded_dnn_row_shows_only_when_every_dataset_has_it(tmp_path):
    datasets = write_fake_run(tmp_path / "metrics")
    label = "Tailored DNN on rate-coded input"
    assert label not in results_table(load_run_metrics(datasets, tmp_path / "metrics"), load_paper())
    for ds in datasets:
        path = tmp_path / "metrics" / "convert" / f"{ds}_detail.json"
        steps = str(int(json.loads(path.read_text())["timesteps"]))
        _edit(path, lambda d: d.update(dnn_rate_coded={steps: {"dev": 0.6, "test": 0.655}}))
    table = results_table(load_run_metrics(datasets, tmp_path / "metrics"), load_paper())
    row = next(line for line in table.splitlines() if label in line)
    assert f"T = {steps}" in row and row.count("65.50") == len(datasets) + 1  # + the average


def test_dnn_row_names_rate_coded_training_when_every_dataset_had_it(tmp_path):
    datasets = write_fake_run(tmp_path / "metrics")

    def dnn_row() -> str:
        table = results_table(load_run_metrics(datasets, tmp_path / "metrics"), load_paper())
        return next(line for line in table.splitlines() if line.startswith("| Tailored DNN (ours"))

    assert dnn_row().startswith("| Tailored DNN (ours) |")  # key absent: older runs
    for ds in datasets:
        _edit(tmp_path / "metrics" / "train_dnn" / f"{ds}.json", lambda d: d.update(dnn_rate_code_steps=50))
    assert dnn_row().startswith("| Tailored DNN (ours, trained on rate-coded input, T = 50) |")
    _edit(tmp_path / "metrics" / "train_dnn" / f"{datasets[0]}.json", lambda d: d.update(dnn_rate_code_steps=0))
    assert dnn_row().startswith("| Tailored DNN (ours) |")  # mixed: no claim


def test_paired_gap_rows_show_draws_and_interval_only_when_every_dataset_has_them(tmp_path):
    datasets = write_fake_run(tmp_path / "metrics")
    table = results_table(load_run_metrics(datasets, tmp_path / "metrics"), load_paper())
    draws = next(line for line in table.splitlines() if "over 3 test spike draws" in line)
    assert draws.count("± 1.00") == len(datasets) and "74.00 ± 1.00" in draws
    interval = next(line for line in table.splitlines() if "95% interval (paired bootstrap" in line)
    assert interval.count("−2.00 [−3.50, −0.50]") == len(datasets) and interval.endswith("| −2.00 |")
    _edit(tmp_path / "metrics" / "finetune" / f"{datasets[0]}.json", lambda d: d.pop("paired_gap"))
    table = results_table(load_run_metrics(datasets, tmp_path / "metrics"), load_paper())
    assert "spike draws" not in table and "paired bootstrap" not in table


def test_dearer_verdict_quotes_the_measured_input_rates_and_the_break_even():
    from types import SimpleNamespace

    from snntext.report.energy import _input_rate_reason

    def run_with(rate):
        return SimpleNamespace(
            stages={
                "finetune": {
                    "energy": {
                        "e_ac_pj": 0.9,
                        "timesteps": 50,
                        "layers": {"conv3": {"input_rate": rate}, "fc": {"input_rate": 0.9}},
                    }
                }
            }
        )

    run = {"mr": run_with(0.2304), "chnsenti": run_with(0.449), "sst2": run_with(0.05)}
    reason = _input_rate_reason(run, ["mr", "chnsenti"], 4.6)  # SST-2 not dearer: its rate stays out
    assert "on average 23-45% of the L x D inputs" in reason and "= 10.2%" in reason
    assert "on average 45% of" in _input_rate_reason(run, ["chnsenti"], 4.6)


def test_direct_and_random_vector_rows_show_when_their_stages_ran(tmp_path):
    from snntext.report.accuracy import other_rows_table
    from tests.report.fake_metrics import other_rows_metrics, write_metrics

    datasets = write_fake_run(tmp_path / "metrics")
    assert other_rows_table(load_run_metrics(datasets, tmp_path / "metrics")) == ""  # older runs: no section
    run = load_run_metrics(datasets, tmp_path / "metrics")
    tuned = {ds: run[ds].stages["finetune"]["paired_gap"]["snn_acc_mean"] for ds in datasets}
    for ds, base in zip(datasets, (0.76, 0.85)):
        for stage, data in other_rows_metrics(base).items():
            write_metrics(tmp_path / "metrics", stage, ds, data)
    table = other_rows_table(load_run_metrics(datasets, tmp_path / "metrics"))
    lines = {line.split(" | ")[0].lstrip("| "): line for line in table.splitlines() if line.startswith("|")}
    direct = next(v for k, v in lines.items() if k.startswith("Directly-trained SNN"))
    assert "10 epochs at T = 50, beta 0.95" in direct and "69.00 ± 0.40" in direct and "78.00 ± 0.40" in direct
    bought = next(v for k, v in lines.items() if k.startswith("What pre-trained vectors buy"))
    assert f"{100 * (tuned['mr'] - 0.64):+.2f}".replace("-", "−") in bought
    assert "`train_direct` 10 min, `random_embeddings` 12 min" in table
    with pytest.raises(SnntextError, match="random_embeddings/mr.json.*snn_test_mean"):
        _edit(tmp_path / "metrics" / "random_embeddings" / "mr.json", lambda d: d.pop("snn_test_mean"))
        load_run_metrics(datasets, tmp_path / "metrics")


def test_a_run_without_the_optional_stages_is_reported_saying_what_is_missing(tmp_path):
    datasets = write_fake_run(tmp_path / "metrics")
    for stage in ("sweep", "attack", "train_direct", "random_embeddings"):
        shutil.rmtree(tmp_path / "metrics" / stage, ignore_errors=True)
    write_reports(
        datasets, PARAMS, metrics_dir=tmp_path / "metrics", reports_dir=tmp_path / "reports", environment=ENVIRONMENT
    )
    readme = (tmp_path / "reports" / "README.md").read_text()
    assert "## Stages not run" in readme and "- sweep: MR, ChnSenti" in readme
    assert "_Not run: `dvc repro sweep_timesteps`._" in (tmp_path / "reports" / "accuracy.md").read_text()
    assert not (tmp_path / "reports" / "figures" / "accuracy_vs_timesteps.png").exists()


def test_energy_headline_is_the_fair_per_sentence_accounting_with_the_paper_s_beside_it(tmp_path):
    reports, _ = make_report(tmp_path)
    energy = (reports / "energy.md").read_text()
    headline = energy.index("## Per sentence, both networks charged for the same positions (headline)")
    assert headline < energy.index("## The paper's convention (all L positions)")
    # MR (fake): fair SNN 3.00 uJ against the DNN's 10.00, 0.30x; with neuron updates 3.90 / 10.10
    assert (
        "| MR | 200 | 25.00 | 10.00 [9.50, 10.50] | 3.00 [2.85, 3.15] | 0.30 [0.27, 0.33] | 0.39 [0.35, 0.42] |"
        in energy
    )
    assert "at most 0.5x its DNN's energy (the target; the whole interval) on MR" in energy
    assert "more than its DNN on ChnSenti" in energy
    assert "judges each grid setting by this table's fair ratio with neuron updates, chosen on dev" in energy


def test_energy_report_says_when_the_energy_stage_has_not_run(tmp_path):
    datasets = write_fake_run(tmp_path / "metrics")
    (tmp_path / "metrics" / "energy" / "chnsenti.json").unlink()
    write_reports(
        datasets, PARAMS, metrics_dir=tmp_path / "metrics", reports_dir=tmp_path / "reports", environment=ENVIRONMENT
    )
    energy = (tmp_path / "reports" / "energy.md").read_text()
    assert "| ChnSenti | – | – |" in energy and "_Not run for ChnSenti: `dvc repro energy@<dataset>`._" in energy
    assert "- energy: ChnSenti" in (tmp_path / "reports" / "README.md").read_text()
    shutil.rmtree(tmp_path / "metrics" / "energy")
    write_reports(
        datasets, PARAMS, metrics_dir=tmp_path / "metrics", reports_dir=tmp_path / "reports", environment=ENVIRONMENT
    )
    energy = (tmp_path / "reports" / "energy.md").read_text()
    assert "_Not run: `dvc repro energy`._" in energy and "| Converted SOPs |" in energy


def test_a_figure_the_run_no_longer_draws_is_removed(tmp_path):
    datasets = write_fake_run(tmp_path / "metrics")
    figures = tmp_path / "reports" / "figures"
    figures.mkdir(parents=True)
    (figures / "accuracy_vs_timesteps.png").write_bytes(b"stale")
    shutil.rmtree(tmp_path / "metrics" / "sweep")
    write_reports(
        datasets, PARAMS, metrics_dir=tmp_path / "metrics", reports_dir=tmp_path / "reports", environment=ENVIRONMENT
    )
    assert not (figures / "accuracy_vs_timesteps.png").exists() and list(figures.glob("*.png"))


def test_run_readme_names_where_each_stage_ran_and_warns_on_mixed_machines():
    from snntext.report.run_readme import NOT_RECORDED, provenance_rows, provenance_warnings

    def m(**stages):
        return DatasetMetrics(name="x", stages=stages)

    amd = {"cpu": {"vendor": "AuthenticAMD", "model": "EPYC", "isa": "avx2"}, "threads": 2, "torch": "2.13.0",
           "date": "2026-12-06 18:00 UTC", "commit": "abc"}  # fmt: skip
    intel = {**amd, "cpu": {"vendor": "GenuineIntel", "model": "Xeon", "isa": "avx512"}, "date": "2026-12-07 09:00 UTC"}
    run = {
        "mr": m(train_dnn={"ran_on": amd}, finetune={"ran_on": amd}),
        "sst2": m(train_dnn={"ran_on": {**amd, "date": "2026-12-06 19:00 UTC"}}, finetune={"ran_on": intel}),
        "subj": m(train_dnn={}),
    }
    rows = provenance_rows(run)
    assert rows[0][:2] == ["train_dnn", "MR, SST-2"] and rows[0][5] == "2026-12-06 18:00 UTC to 2026-12-06 19:00 UTC"
    assert rows[1][:3] == ["train_dnn", "Subj", NOT_RECORDED]
    assert [row[:2] for row in rows[2:]] == [["finetune", "MR"], ["finetune", "SST-2"]]
    notes = " ".join(provenance_warnings(rows))
    assert "more than one vendor" in notes and "predate" in notes
    assert provenance_warnings(provenance_rows({"mr": run["mr"]})) == []


def test_same_code_compares_only_what_a_stage_runs(tmp_path):
    from snntext.core.machine import code_commit
    from snntext.report.run_readme import same_code

    def git(cwd, *args):
        subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)

    def commit(message):
        git(tmp_path, "add", ".")
        git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", message)
        return code_commit(tmp_path)

    assert same_code(["abc", "def"], tmp_path) is None  # not a checkout
    git(tmp_path, "init", "-q")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("x = 1\n")
    first = commit("one")
    (tmp_path / "notes.md").write_text("docs only\n")
    docs = commit("docs")
    (tmp_path / "src" / "a.py").write_text("x = 2\n")
    code = commit("code")
    assert same_code([first, docs], tmp_path) is True
    assert same_code([first, docs, code], tmp_path) is False
    assert same_code([first, docs + "+dirty"], tmp_path) is None
    assert same_code([first, "0123456789"], tmp_path) is None  # unknown commit
