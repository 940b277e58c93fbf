"""Writing the reports: every metrics file read and checked first, then the Markdown and figures."""

from __future__ import annotations

import datetime as _dt
import os
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from snntext.core.atomic import write_text_atomic
from snntext.core.cpu_kernels import SWITCH as PORTABLE_CPU_SWITCH
from snntext.core.errors import SnntextError
from snntext.core.machine import cpu_kind
from snntext.report import frontier, seeds
from snntext.report.accuracy import accuracy_markdown
from snntext.report.doc_blocks import generated_blocks, updated_files
from snntext.report.energy import energy_markdown
from snntext.report.markdown import FIGURES
from snntext.report.metrics import load_run_metrics, lookup
from snntext.report.paper import load_paper
from snntext.report.robustness import STUDY_FOLDER, load_attack_study, robustness_markdown
from snntext.report.run_readme import run_readme_markdown

SETTINGS = (  # (label, params key) shown in reports/README.md
    ("seed", "seed"),
    ("seeds", "seeds"),
    ("datasets", "datasets"),
    ("English embedding", "embed.english"),
    ("Chinese embedding", "embed.chinese"),
    ("OOV policy", "embed.oov"),
    ("time steps T", "timesteps"),
    ("threshold", "threshold"),
    ("beta", "beta"),
    ("neurons per class", "neurons_per_class"),
    ("surrogate", "surrogate"),
    ("surrogate slope", "surrogate_slope"),
    ("DNN epochs (max)", "train_dnn.epochs"),
    ("DNN learning rate", "train_dnn.lr"),
    ("zero-sum filters", "train_dnn.zero_sum_filters"),
    ("DNN trained on rate-coded input, T (0 = exact rates)", "train_dnn.rate_code_steps"),
    ("Kim epochs (max)", "kim.epochs"),
    ("normalisation", "convert.normalisation"),
    ("fine-tuning epochs", "finetune.epochs"),
    ("fine-tuning lr", "finetune.lr"),
    ("fine-tuning loss", "finetune.loss"),
    ("fine-tuning temperature (count, distill losses)", "finetune.temperature"),
    ("fine-tuning convolutions", "finetune.precision"),
    ("sweep T values", "sweep.timesteps"),
    ("attack examples", "attack.examples"),
    ("attack recipes", "attack.recipes"),
    ("attacked models", "attack.models"),
    ("device", "device"),
)
VERSIONED = ("torch", "spikingjelly", "textattack", "dvc", "numpy", "matplotlib", "gensim")


def run_settings(params: dict) -> list[tuple[str, Any]]:
    """(label, value) of the params that matter, as params.yaml gave them (after snntext.core.params
    checked the file); keys absent from it are shown as 'not set'."""
    out = []
    for label, key in SETTINGS:
        try:
            value = lookup(params, key)
        except KeyError:
            value = None
        if value is None and key == "seeds":
            continue
        out.append((label, "not set" if value is None else value))
    return out


def environment_info() -> dict[str, str]:
    """Versions, date and the machine that ran the report stage (where each stage ran: its `ran_on` metrics)."""
    info = {"python": sys.version.split()[0]}
    for package in VERSIONED:
        try:
            info[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            info[package] = "not installed"
    info["date (UTC)"] = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d")
    info["OS"] = platform.platform()
    model = cpu_kind()["model"]
    info["CPU"] = f"{model if model != 'unknown' else platform.machine()} ({os.cpu_count()} logical cores)"
    try:
        import torch

        info["GPU"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none (CPU only)"
        # The numbers are bitwise the same on another x86-64 machine only with the same kernels and threads.
        info["torch CPU kernels"] = (
            f"{torch.backends.cpu.get_cpu_capability()} "
            f"({PORTABLE_CPU_SWITCH}={os.environ.get(PORTABLE_CPU_SWITCH, '1')})"
        )
        info["torch threads"] = str(torch.get_num_threads())
    except ImportError:
        info["GPU"] = "unknown (torch not importable)"
    return info


def embedding_dims(run) -> dict[str, int | None]:
    """Vector dimension per dataset: the embed metrics' own `dim` when present, else the source registry's."""
    from snntext.core.registry import load_registry

    registry = None
    dims = {}
    for ds, m in run.items():
        emb = m.stages["embed"]
        if isinstance(emb.get("dim"), int):
            dims[ds] = emb["dim"]
            continue
        try:
            registry = registry or load_registry()
            dims[ds] = registry.vector(emb["vectors"]).dim
        except (SnntextError, KeyError):
            dims[ds] = None
    return dims


def frontier_points(run, grid: dict | None) -> list[dict]:
    """The committed run's points (setting `default`) and the energy grid's, on the run's datasets."""
    grid_points = [
        p for p in (grid or {}).get("points", []) if p["dataset"] in run and p["setting"] != frontier.DEFAULT
    ]
    if any(p["setting"] == frontier.GRID_DEFAULT for p in grid_points):
        return frontier.against_reference_dnn(grid_points)
    return frontier.against_reference_dnn(frontier.run_points(run) + grid_points)


def _dnn_dev(run) -> dict[str, float]:
    """The committed run's tailored DNN's dev accuracy per dataset (where its metrics hold it)."""
    return {
        ds: float(m.stages["train_dnn"]["dnn_dev_acc"])
        for ds, m in run.items()
        if "dnn_dev_acc" in m.stages["train_dnn"]
    }


def frontier_section(run, params: dict, grid: dict | None) -> str:
    points = frontier_points(run, grid)
    if not points:
        return ""
    if not grid or not grid["points"]:
        return (
            "## Accuracy against energy: the frontier\n\nNo energy grid has been run on these metrics yet: "
            "`PYTHONPATH=src python scripts/run_energy_grid.py` runs it (metrics/energy_grid.json).\n"
        )
    reference = frontier.reference_accuracy(
        points, {ds: m.stages["train_dnn"]["dnn_test_acc"] for ds, m in run.items()}
    )
    dev_reference = frontier.reference_dev_accuracy(points, _dnn_dev(run))
    settings = {frontier.DEFAULT: {"what": "the committed run (T = 50)"}, **grid["settings"]}
    coded = {
        ds: {
            int(t): float(a) - m.stages["train_dnn"]["dnn_test_acc"]  # the loss, against the same DNN
            for t, a in m.stages.get("sweep", {}).get("dnn_rate_coded", {}).get("test", {}).items()
        }
        for ds, m in run.items()
    }
    return frontier.frontier_markdown(
        points,
        reference,
        list(run),
        settings=settings,
        figure=FIGURES["frontier"],
        grid_info=grid,
        params=params,
        dev_reference=dev_reference,
        rate_coded_dnn=coded,
        rate_coded_reference={ds: m.stages["train_dnn"]["dnn_test_acc"] for ds, m in run.items()},
    )


def render_markdown(
    run,
    params: dict,
    environment: dict[str, str],
    grid: dict | None = None,
    study: dict | None = None,
    attack_study: dict[str, dict] | None = None,
) -> dict[str, str]:
    """file name -> Markdown of every report document (nothing written); `grid`, `study`: the energy grid and
    the seed study (metrics/energy_grid.json, metrics/seed_study.json), None when not run; `attack_study`: the
    paper-scale attack study by dataset (metrics/attack_study/), None or empty when not run."""
    from snntext.evaluation.energy import DNN_FORMULA, E_MAC_PJ

    paper = load_paper()
    section = frontier_section(run, params, grid)
    return {
        "accuracy.md": accuracy_markdown(run, paper, embedding_dims(run), study),
        "energy.md": energy_markdown(run, DNN_FORMULA, E_MAC_PJ) + (f"\n{section}" if section else ""),
        "robustness.md": robustness_markdown(run, attack_study),
        "README.md": run_readme_markdown(run, run_settings(params), environment),
    }


def write_figures(run, figures_dir: Path, grid: dict | None = None) -> list[Path]:
    from snntext.report import figures

    root = figures_dir.parent
    sweeps = {ds: m.stages["sweep"] for ds, m in run.items() if "sweep" in m.stages}
    dnn_test = {ds: m.stages["train_dnn"]["dnn_test_acc"] for ds, m in run.items()}
    rates = {
        ds: {
            "converted": m.stages["convert"]["options"][m.stages["convert"]["chosen"]]["test"]["firing_rates"],
            "fine-tuned": m.stages["finetune"]["test"]["firing_rates"],
        }
        for ds, m in run.items()
    }
    return (
        ([figures.accuracy_vs_timesteps(sweeps, dnn_test, root / FIGURES["timesteps"])] if sweeps else [])
        + [
            figures.finetune_epochs({ds: m.histories["finetune"] for ds, m in run.items()}, root / FIGURES["finetune"]),
            figures.dnn_training({ds: m.histories["train_dnn"] for ds, m in run.items()}, root / FIGURES["dnn"]),
            figures.firing_rates(rates, root / FIGURES["rates"]),
        ]
        + ([_frontier_figure(run, grid, dnn_test, root / FIGURES["frontier"])] if grid and grid["points"] else [])
    )


def _frontier_figure(run, grid: dict, dnn_test: dict[str, float], path: Path) -> Path:
    from snntext.report import figures

    points = frontier_points(run, grid)
    reference = frontier.reference_accuracy(points, dnn_test)
    summary = frontier.setting_summary(
        points, reference, list(run), frontier.reference_dev_accuracy(points, _dnn_dev(run))
    )
    series = frontier.figure_series(points, reference, list(run), frontier.low_energy_profile(summary))
    return figures.energy_frontier(
        series,
        path,
        default=frontier.baseline_name(points),
        target_ratio=frontier.TARGET_RATIO,
        target_gap=frontier.TARGET_GAP_POINTS,
    )


def write_reports(
    datasets: list[str],
    params: dict,
    *,
    metrics_dir: Path,
    reports_dir: Path,
    readme: Path | None = None,
    docs_dir: Path | None = None,
    environment: dict[str, str] | None = None,
) -> list[Path]:
    """Check every metrics file, then write reports/*.md and reports/figures/*.png, and rewrite the generated
    blocks of `readme` and of `docs_dir`/*.md (snntext.report.doc_blocks); returns the paths written (a file
    whose blocks were already current is left untouched and not listed). `params`: params.yaml as read
    (Config.raw), shown in reports/README.md. A file naming a block the report does not write stops it before
    anything is written."""
    run = load_run_metrics(list(datasets), Path(metrics_dir))
    grid = frontier.load_grid(Path(metrics_dir) / frontier.GRID_FILE)
    study = seeds.load_study(Path(metrics_dir) / seeds.STUDY_FILE)
    attack_study = load_attack_study(Path(metrics_dir) / STUDY_FOLDER)
    documents = render_markdown(
        run, params, environment if environment is not None else environment_info(), grid, study, attack_study
    )
    quoting = ([Path(readme)] if readme is not None else []) + (sorted(Path(docs_dir).glob("*.md")) if docs_dir else [])
    updates = updated_files(quoting, generated_blocks(run, params, grid, study))
    reports_dir = Path(reports_dir)
    written = write_figures(run, reports_dir / "figures", grid)
    for stale in set((reports_dir / "figures").glob("*.png")) - set(written):  # a figure this run does not draw
        stale.unlink()
    for name, text in documents.items():
        write_text_atomic(reports_dir / name, text)
        written.append(reports_dir / name)
    for path, text in updates.items():
        write_text_atomic(path, text)
        written.append(path)
    return written
