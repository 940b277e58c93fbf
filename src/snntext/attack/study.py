"""The paper-scale adversarial study: the attack stage's machinery on more examples and recipes, outside DVC.

The attack stage keeps a budget that a pipeline run can afford (attack.examples, 150). The study attacks
what the paper did: 1000 test examples of MR and SST-2, 300 of the others, with deepwordbug, pwws,
textfooler, textbugger and pso (Chinese datasets: the recipes that apply to them), on the tailored DNN and
the deterministic, stochastic and EOT-attacked SNN. Days of CPU, so it runs from
scripts/run_attack_study.py, one dataset after the other, in sittings:

- the settings are params.yaml's `attack` section with examples, recipes, models, backend and workers
  replaced (dataclasses.replace), so every other setting (T, eot_draws, similarity, seed) is the stage's;
- shards (snntext.attack.shards) are kept in data/attack_study/<dataset>/shards, apart from the stage's;
  a killed run, or one stopped by Ctrl-C or SIGTERM, resumes from them. Their key covers the code of the
  attack path only (STUDY_CODE_EXCLUDED left out), so editing the report between sittings keeps them;
- metrics/attack_study/<dataset>.json (atomically replaced) holds what the stage's detail file holds
  (snntext.attack.run.attack_results) plus examples planned and done, each sitting's wall time, the
  machine record and the code commit. A stopped run writes it too, labelled partial: its statistics cover
  the longest run of finished shards from the first, i.e. the first n examples of the seeded order (a
  random sample of the test set whatever stopped it; shards finished beyond a gap, which on Ray are the
  fast ones, are kept for the next sitting but not counted, as they would bias towards easy examples).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from snntext.core.atomic import write_text_atomic
from snntext.core.config import MAX_ATTACK_EXAMPLES, AttackConfig
from snntext.core.errors import SnntextError

STUDY_EXAMPLES = {"mr": 1000, "sst2": 1000, "sst5": 300, "subj": 300, "chnsenti": 300, "waimai": 300}
OTHER_EXAMPLES = 300  # a dataset the defaults do not name (a user's own)
STUDY_RECIPES = ("deepwordbug", "pwws", "textfooler", "textbugger", "pso")
STUDY_MODELS = ("dnn", "snn", "snn_stochastic", "snn_eot")
STUDY_CODE_EXCLUDED = ("report", "cli", "attack/study.py")  # code no attack outcome depends on
# PSO's cost per example in TextFooler's on the same model (benchmarks/README.md, "Attack throughput":
# 10 MR examples ~20x, 6 ChnSenti examples ~50x); the attack stage does not run PSO, so nothing is measured.
PSO_COST = {"en": 20.0, "zh": 50.0}


@dataclass(frozen=True)
class DatasetPlan:
    """One dataset of the study: its settings (the stage's with the study's examples, recipes and models),
    the recipes that apply to its language and the reasons the others do not."""

    dataset: str
    language: str
    settings: AttackConfig
    runnable: tuple[str, ...]
    skipped: Mapping[str, str]

    @property
    def examples(self) -> int:
        return self.settings.examples

    @property
    def attacks(self) -> int:
        """Attacks the plan runs: examples x recipes that apply x models."""
        return self.examples * len(self.runnable) * len(self.settings.models)


def parse_examples(spec: str | None, datasets: Iterable[str]) -> dict[str, int]:
    """Examples per dataset: STUDY_EXAMPLES (OTHER_EXAMPLES for a dataset it does not name) changed by `spec`,
    one number for every dataset ("300") or dataset=number pairs ("mr=1000,sst2=500")."""
    datasets = list(datasets)
    counts = {ds: STUDY_EXAMPLES.get(ds, OTHER_EXAMPLES) for ds in datasets}
    if spec is None or not spec.strip():
        return counts
    if "=" not in spec:
        return dict.fromkeys(datasets, _count(spec, "--examples"))
    for part in (p.strip() for p in spec.split(",")):
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or not name:
            raise SnntextError(f"--examples: {part!r} is not dataset=number (e.g. mr=1000,sst2=1000) or one number")
        if name not in counts:
            raise SnntextError(f"--examples names {name!r}, which is not among the datasets ({', '.join(datasets)})")
        counts[name] = _count(value, f"--examples {name}")
    return counts


def _count(text: str, where: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise SnntextError(f"{where}: {text.strip()!r} is not a whole number") from None
    if not 1 <= value <= MAX_ATTACK_EXAMPLES:
        raise SnntextError(f"{where}: {value} examples; between 1 and {MAX_ATTACK_EXAMPLES}")
    return value


def parse_names(
    values: Iterable[str] | None, known: Iterable[str], default: Iterable[str], what: str
) -> tuple[str, ...]:
    """Names given as separate arguments or comma lists ("pwws,pso"), checked against `known`, each once in
    the order given; `default` when none are given."""
    if not values:
        return tuple(default)
    known = tuple(known)
    names = [name.strip() for value in values for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown:
        raise SnntextError(f"--{what}: unknown {', '.join(map(repr, unknown))}; known: {', '.join(known)}")
    if not names:
        raise SnntextError(f"--{what}: no names given")
    return tuple(dict.fromkeys(names))


def plan_study(
    examples: Mapping[str, int],
    recipes: Iterable[str],
    models: Iterable[str],
    base: AttackConfig,
    *,
    language_of: Callable[[str], str],
    skip_reason: Callable[[str, str], str | None],
    backend: str | None = None,
    workers: int | None = None,
) -> list[DatasetPlan]:
    """One DatasetPlan per dataset of `examples`: `base` (params.yaml's attack settings) with the study's
    examples, recipes, models and (when given) backend and workers; `skip_reason(recipe, language)` is
    snntext.attack.recipes.recipe_skip_reason (the language filter)."""
    recipes, models = tuple(recipes), tuple(models)
    changes: dict[str, Any] = {"recipes": recipes, "models": models}
    if backend is not None:
        changes["backend"] = backend
    if workers is not None:
        changes["workers"] = workers
    plans = []
    for ds, count in examples.items():
        language = language_of(ds)
        try:
            settings = replace(base, examples=count, **changes)
        except ValueError as err:
            raise SnntextError(f"attack study settings for {ds}: {err}") from None
        reasons = {r: skip_reason(r, language) for r in recipes}
        skipped = {r: why for r, why in reasons.items() if why is not None}
        runnable = tuple(r for r in recipes if r not in skipped)
        plans.append(DatasetPlan(ds, language, settings, runnable, skipped))
    return plans


# ---------------------------------------------------------------------------------------------------------
# The cost, from the attack stage's last run


def _measured_seconds(detail: Mapping | None) -> dict[str, dict[str, float]]:
    """model -> recipe -> seconds per example, from a stage detail file's `models` (cells without time left out)."""
    out: dict[str, dict[str, float]] = {}
    for model, per_recipe in ((detail or {}).get("models") or {}).items():
        for recipe, cell in (per_recipe or {}).items():
            try:
                seconds = float(cell["wall_s"]) / int(cell["examples"])
            except (KeyError, TypeError, ValueError, ZeroDivisionError):
                continue
            if math.isfinite(seconds):
                out.setdefault(model, {})[recipe] = seconds
    return out


def cell_seconds(
    model: str, recipe: str, measured: Mapping[str, Mapping[str, float]], language: str, eot_draws: int
) -> float | None:
    """Seconds per example of one model and recipe: measured by the stage, else derived. PSO is PSO_COST
    times TextFooler on the same model; snn_eot the DNN plus `eot_draws` times the stochastic SNN's extra time
    over the DNN (the net's forward passes are what EOT repeats); kim the DNN's. None when nothing to go on."""
    known = measured.get(model, {}).get(recipe)
    if known is not None:
        return known
    if recipe == "pso":
        base = cell_seconds(model, "textfooler", measured, language, eot_draws)
        return None if base is None else base * PSO_COST.get(language, PSO_COST["zh"])
    if model == "snn_eot":
        stochastic = cell_seconds("snn_stochastic", recipe, measured, language, eot_draws)
        dnn = cell_seconds("dnn", recipe, measured, language, eot_draws)
        if stochastic is None:
            return None
        return stochastic * eot_draws if dnn is None else dnn + eot_draws * max(stochastic - dnn, 0.0)
    if model == "kim":
        return cell_seconds("dnn", recipe, measured, language, eot_draws)
    return None


def estimate_core_seconds(plan: DatasetPlan, detail: Mapping | None) -> float | None:
    """CPU-core seconds the plan takes from scratch, from the stage's detail metrics `detail`; None when a
    cell has nothing to go on (no stage run, or a model and recipe it cannot be derived from)."""
    measured = _measured_seconds(detail)
    total = 0.0
    for model in plan.settings.models:
        for recipe in plan.runnable:
            seconds = cell_seconds(model, recipe, measured, plan.language, plan.settings.eot_draws)
            if seconds is None:
                return None
            total += seconds
    return total * plan.examples


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.0f} min"


def plan_text(
    plans: list[DatasetPlan], estimates: Mapping[str, float | None], workers: int, kept: Mapping[str, int]
) -> str:
    """The dry run's report: per dataset the examples x recipes x models it attacks, the shard files kept
    from earlier sittings, the estimated cost; and the totals, in core-hours and hours on `workers` cores."""
    lines = []
    if plans:
        first = plans[0].settings
        lines.append(
            f"Paper-scale attack study: {len(plans)} dataset(s); models {', '.join(first.models)}; "
            f"T = {first.timesteps}, eot_draws {first.eot_draws}, seed {first.seed}; backend {first.backend}"
        )
    width = max((len(p.dataset) for p in plans), default=0)
    for plan in plans:
        skipped = f" ({', '.join(plan.skipped)}: not for {plan.language})" if plan.skipped else ""
        estimate = estimates.get(plan.dataset)
        cost = f"~{_hours(estimate)} of one core" if estimate is not None else "no estimate (no stage run to scale)"
        lines.append(
            f"  {plan.dataset:<{width}} {plan.examples:5d} examples x {len(plan.runnable)} recipes{skipped} "
            f"x {len(plan.settings.models)} models = {plan.attacks:,} attacks; {cost}; "
            f"{kept.get(plan.dataset, 0)} shard file(s) kept"
        )
    total = sum(p.attacks for p in plans)
    known = [e for e in estimates.values() if e is not None]
    summary = f"Total {total:,} attacks"
    if known:
        core_s = sum(known)
        partial = "" if len(known) == len(plans) else f" for the {len(known)} dataset(s) with an estimate"
        summary += f"; ~{_hours(core_s)} of one core{partial}, ~{_hours(core_s / max(workers, 1))} on {workers} core(s)"
    lines.append(summary)
    lines.append(
        "Estimate: seconds per example of each model and recipe from the attack stage's last run "
        "(metrics/attack/<dataset>_detail.json); PSO "
        + " and ".join(f"{factor:.0f}x TextFooler ({lang})" for lang, factor in PSO_COST.items())
        + ", snn_eot the DNN plus eot_draws x the stochastic SNN's extra time (benchmarks/README.md); "
        "rough (+-50%), and shards kept from earlier sittings are not subtracted."
    )
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------
# Running one dataset, in sittings


def shard_files(folder: Path) -> int:
    """Shard files in `folder` (of any configuration)."""
    return len(list(Path(folder).glob("*.json"))) if Path(folder).is_dir() else 0


def finished_prefix(store, shards: list[list[int]]) -> tuple[list[dict], int]:
    """(records of the longest run of finished shards from the first, in position order; how many shards
    are finished in all)."""
    records: list[dict] = []
    finished, gap = 0, False
    for shard in shards:
        kept = store.load(shard)
        if kept is None:
            gap = True
            continue
        finished += 1
        if not gap:
            records.extend(kept)
    return records, finished


def _previous_sittings(path: Path, key: str) -> list[dict]:
    """The sittings recorded in the metrics file at `path` for the same shard key (an unreadable file or
    another configuration: none)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return []
    if not isinstance(data, dict) or (data.get("shards") or {}).get("key") != key:
        return []
    sittings = data.get("sittings")
    return [s for s in sittings if isinstance(s, dict)] if isinstance(sittings, list) else []


def _project_relative(path: Path) -> str:
    """`path` relative to the project root when it lies inside it (what a metrics file records), else as is."""
    from snntext.core import paths

    try:
        return Path(path).resolve().relative_to(paths.PROJECT_ROOT.resolve()).as_posix()
    except ValueError:
        return str(path)


def study_code_digest() -> str:
    """The source digest a study shard's key holds: the attack path's code, not the report's."""
    from snntext.attack.run import code_digest

    return code_digest(exclude=STUDY_CODE_EXCLUDED)


def build_study_job(plan: DatasetPlan, resources, log=print):
    """The AttackJob of one dataset of the study (models, data and vectors loaded; snntext.attack.run)."""
    from snntext.attack.run import build_job
    from snntext.core.device import seed_everything

    seed_everything(plan.settings.seed)
    return build_job(plan.dataset, plan.settings, resources, code=study_code_digest(), log=log)


def run_study_dataset(
    plan: DatasetPlan,
    job,
    folder: Path,
    metrics_path: Path,
    *,
    collect_only: bool = False,
    log: Callable[[str], None] = print,
) -> dict:
    """Attack the shards of `plan` not yet kept in `folder`/shards (none with collect_only), then write the
    metrics of the finished ones to `metrics_path` and the adversarial examples as CSVs in `folder`; returns
    the metrics. Ctrl-C (KeyboardInterrupt) or a shard failing every retry (SnntextError) still writes them,
    labelled partial, and is raised again. `job`: an AttackJob, or anything with its key, language,
    examples, indices and run(positions)."""
    from snntext.attack.run import attack_results, under_attack_means, write_csv_files
    from snntext.attack.shards import ShardRun, ShardStore, plan_shards, run_shards
    from snntext.core.machine import machine_record

    start = time.perf_counter()
    settings = plan.settings
    store = ShardStore(Path(folder) / "shards", job.key)
    shards = plan_shards(len(job.examples), settings.shard_size)
    _, kept = finished_prefix(store, shards)
    others = shard_files(store.folder) - sum(1 for s in shards if store.path(s).is_file())
    if others > 0:
        log(f"  {others} shard file(s) of another configuration or size in {store.folder} left as they are")
    log(
        f"attack study {plan.dataset}: {len(job.examples)} examples in {len(shards)} shards ({kept} kept), "
        f"backend {settings.backend}, models {', '.join(settings.models)}, recipes {', '.join(plan.runnable)}"
    )
    stop: BaseException | None = None
    ended = "collected" if collect_only else "finished"
    run = ShardRun(records=[])
    try:
        if not collect_only:
            run = run_shards(
                job,
                shards,
                store,
                backend=settings.backend,
                workers=settings.workers,
                retries=settings.retries,
                log=log,
            )
    except KeyboardInterrupt as err:
        stop, ended = err, "interrupted"
    except SnntextError as err:
        stop, ended = err, f"failed: {err}"
    records, finished = finished_prefix(store, shards)
    results, tables = attack_results(
        plan.dataset, job.language, settings, records, job.indices[: len(records)], log=log
    )
    ran_on = machine_record()
    sittings = _previous_sittings(metrics_path, job.key[:16])
    if not collect_only:
        sittings.append(
            {
                "date": ran_on["date"],
                "wall_s": round(time.perf_counter() - start, 1),
                "shards_attacked": finished - kept,
                "ended": ended,
                "backend": settings.backend,
                "workers": settings.workers,
                "retries": run.retries,
                "cpu": ran_on["cpu"]["model"],
                "cores": ran_on["cores"],
                "commit": ran_on["commit"],
            }
        )
    done, planned = len(records), len(job.examples)
    results.update(
        {
            "recipes_planned": list(plan.runnable),
            "models_planned": list(settings.models),
            "examples_planned": planned,
            "examples_done": done,
            "partial": done < planned,
            "status": "complete" if done == planned else f"partial: {done} of {planned} examples",
            "shards": {
                "count": len(shards),
                "size": settings.shard_size,
                "finished": finished,
                "counted": math.ceil(done / settings.shard_size) if done else 0,
                "key": job.key[:16],
                "folder": _project_relative(store.folder),
            },
            "sittings": sittings,
            "wall_s": round(sum(float(s.get("wall_s", 0.0)) for s in sittings), 1),
            "under_attack": under_attack_means(results["models"]),
            "ran_on": ran_on,
            "commit": ran_on["commit"],
        }
    )
    write_csv_files(Path(folder), tables)
    write_text_atomic(metrics_path, json.dumps(results, indent=2) + "\n")
    log(f"  wrote {metrics_path}: {results['status']}, {results['wall_s']:.0f} s over {len(sittings)} sitting(s)")
    if stop is not None:
        raise stop
    return results
