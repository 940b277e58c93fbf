"""reports/README.md: what produced these reports, so a reader can reproduce or compare them.

The run's settings, the machine, date and code commit that made each stage's numbers (read from the
stage's own metrics, `ran_on`: training numbers depend on the CPU vendor, docs/reproducibility.md), the
software and machine of the report stage itself, and the wall time of each stage per dataset.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from snntext.core.machine import CODE_DIRS
from snntext.core.stage_metrics import RAN_ON
from snntext.report.markdown import MISSING, display, markdown_table
from snntext.report.metrics import DatasetMetrics, missing_stages

# Stages whose metrics keep the machine that made them (snntext.core.stage_metrics.write_stage_metrics)
RECORDED_STAGES = ("train_dnn", "convert", "finetune", "attack", "train_direct", "random_embeddings")
NOT_RECORDED = "not recorded"  # metrics written before stages kept `ran_on` (2026-12-06)


def _seconds(value: float | None) -> str:
    if value is None:
        return MISSING
    return f"{value:.0f} s" if value < 600 else f"{value / 60:.1f} min"


def stage_seconds(m: DatasetMetrics) -> dict[str, float | None]:
    """Wall time per stage from the metrics' own seconds fields (None where a stage records none)."""
    s = m.stages
    sweep = (
        sum(entry.get("seconds", 0.0) for per in s["sweep"]["models"].values() for entry in per.values())
        if "sweep" in s
        else None
    )
    return {
        "prepare": None,
        "embed": None,
        "train_dnn": s["train_dnn"]["kim_seconds"] + s["train_dnn"]["dnn_seconds"],
        "convert": sum(o["seconds"] for o in s["convert"]["options"].values()),
        "finetune": s["finetune"]["seconds"],
        "sweep_timesteps": sweep,
        "attack": s["attack"]["wall_s"] if "attack" in s else None,
        "train_direct": s["train_direct"]["seconds"] if "train_direct" in s else None,
        "random_embeddings": s["random_embeddings"]["seconds_total"] if "random_embeddings" in s else None,
    }


def _cpu(record: dict) -> str:
    cpu = record.get("cpu", {})
    return f"{cpu.get('vendor', '?')} {cpu.get('model', '?')} ({cpu.get('isa', '?')})"


def provenance_rows(run: dict[str, DatasetMetrics]) -> list[list[str]]:
    """One row per stage and distinct (CPU, threads, torch, commit): the datasets it covers and the
    dates, from each stage's `ran_on` record."""
    rows = []
    for stage in RECORDED_STAGES:
        groups: dict[tuple, dict[str, list[str]]] = {}
        for ds, m in run.items():
            if stage not in m.stages:
                continue
            record = m.stages[stage].get(RAN_ON)
            if isinstance(record, dict):
                key = (_cpu(record), str(record.get("threads", "?")), str(record.get("torch", "?")),
                       str(record.get("commit", "?")))  # fmt: skip
                date = str(record.get("date", "?"))
            else:
                key, date = (NOT_RECORDED, MISSING, MISSING, MISSING), MISSING
            group = groups.setdefault(key, {"datasets": [], "dates": []})
            group["datasets"].append(display(ds))
            group["dates"].append(date)
        for (cpu, threads, torch_version, commit), group in groups.items():
            dates = sorted(set(group["dates"]))
            when = dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"
            rows.append([stage, ", ".join(group["datasets"]), cpu, threads, torch_version, when, f"`{commit}`"])
    return rows


def same_code(commits: list[str], root: Path | None = None) -> bool | None:
    """Whether these commits hold the same src/ and stages/ (the code a stage runs), so that a run spread
    over them is one code's; None where git cannot tell (no checkout, an unknown or dirty commit)."""
    revs = [c.strip("`") for c in commits]
    if any(not rev or "+dirty" in rev or rev == "unknown" for rev in revs):
        return None
    try:
        for rev in revs[1:]:
            diff = subprocess.run(
                ["git", "diff", "--quiet", revs[0], rev, "--", *CODE_DIRS], cwd=root or Path.cwd(), capture_output=True
            )
            if diff.returncode not in (0, 1):
                return None
            if diff.returncode == 1:
                return False
    except OSError:
        return None
    return True


def provenance_warnings(rows: list[list[str]]) -> list[str]:
    """What a reader must know before comparing these numbers with another run's."""
    notes = []
    cpus = {row[2] for row in rows if row[2] != NOT_RECORDED}
    vendors = {cpu.split()[0] for cpu in cpus}
    commits = {row[6] for row in rows if row[2] != NOT_RECORDED}
    if any(row[2] == NOT_RECORDED for row in rows):
        notes.append("Some stages' metrics predate the machine record: where they ran is not known.")
    if len(vendors) > 1:
        notes.append(
            f"The stages ran on CPUs of more than one vendor ({', '.join(sorted(vendors))}): training numbers "
            "differ between vendors (docs/reproducibility.md), so this run is not one machine's."
        )
    if len(commits) > 1:
        same = same_code(sorted(commits))
        tail = (
            ": their src/ and stages/ are identical (git diff), so one code made every stage"
            if same
            else ": their src/ and stages/ differ"
            if same is False
            else ""
        )
        notes.append(f"The stages ran from more than one code commit ({', '.join(sorted(commits))}){tail}.")
    if any("+dirty" in commit for commit in commits):
        notes.append("`+dirty`: src/ or stages/ held uncommitted changes when that stage ran.")
    return notes


def run_readme_markdown(run: dict[str, DatasetMetrics], settings: list[tuple[str, Any]], environment: dict) -> str:
    """Settings of the run (from params.yaml), versions, date, machine and wall time of each stage."""
    times = {ds: stage_seconds(m) for ds, m in run.items()}
    stages = list(next(iter(times.values())))
    rows = [[stage, *[_seconds(times[ds][stage]) for ds in run]] for stage in stages]
    total = [sum(v for v in (times[ds][stage] for stage in stages) if v is not None) for ds in run]
    rows.append(["**all recorded**", *[f"**{_seconds(value)}**" for value in total]])
    made = provenance_rows(run)
    parts = [
        "# This run",
        "",
        "Generated by the `report` stage (do not edit). Results: [accuracy](accuracy.md), [energy](energy.md), "
        "[robustness](robustness.md).",
        "",
        "## Settings (params.yaml)",
        "",
        markdown_table(["Setting", "Value"], [[label, f"`{value}`"] for label, value in settings], "ll"),
        "",
        "## Where the numbers were made",
        "",
        "From each stage's own metrics (`ran_on` in metrics/<stage>/<dataset>_detail.json), not from the machine "
        "that wrote this report.",
        "",
        markdown_table(
            ["Stage", "Datasets", "CPU (vendor, model, ISA)", "Threads", "torch", "Date", "Commit"], made, "lllrlll"
        ),  # fmt: skip
        "",
        *[f"{note}\n" for note in provenance_warnings(made)],
        "## Software and machine of the report stage",
        "",
        markdown_table(["Item", "Value"], [[k, v] for k, v in environment.items()], "ll"),
        "",
        "## Wall time per stage and dataset",
        "",
        "From the `seconds` fields of each stage's metrics (prepare and embed record none); train_dnn = Kim + "
        "tailored DNN, convert = all normalisation options, random_embeddings = its DNN, conversion and "
        "fine-tuning.",
        "",
        markdown_table(["Stage", *[display(ds) for ds in run]], rows),
        "",
    ]
    missing = missing_stages(run)
    if missing:
        parts += [
            "## Stages not run",
            "",
            "The report shows what has run; these stages have no metrics yet (`dvc repro <stage>@<dataset>`):",
            "",
            *[f"- {stage}: {', '.join(display(ds) for ds in names)}" for stage, names in missing.items()],
            "",
        ]
    return "\n".join(parts)
