"""Running the attacks: every recipe on every model, one example at a time, and the whole attack stage.

Metrics per run (cf. the authors' SimplifidResult; s successful, f failed, k skipped = already
misclassified, n = s + f + k examples):
  clean_accuracy = (s + f) / n, accuracy_under_attack = f / n, success_rate = s / (s + f),
  avg_perturbed_word_share = mean over successful attacks of changed words / words (TextAttack's words),
  avg_queries = mean model queries per attacked (non-skipped) example (TextAttack's count, cache hits free),
  queries = texts actually run through the model, wall_s, queries_per_s = queries / wall_s.
Successful adversarial examples are kept for inspection (CSV), and every cell's outcome per
example (S successful, F failed, K skipped) for the paired statistics (snntext.attack.statistics).

An example's result depends on nothing but the example: the random generators (Python's and
NumPy's, which the character edits and PSO draw from, and the stochastic SNN's) are seeded from
(seed, test row, recipe) before each attack, the same for every model (so random recipes draw the
same candidates against each model), and every cache is emptied between examples. Examples can
therefore be attacked in shards, in any order, on any worker (snntext.attack.shards), with the
result of the serial run. Import after snntext.attack.offline.prepare_offline().
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from snntext.attack.recipes import RecipeContext, RecipeUnavailable
from snntext.attack.session import AttackSession
from snntext.core.atomic import write_text_atomic
from snntext.core.config import AttackConfig

CSV_COLUMNS = (
    "index",
    "label",
    "perturbed_label",
    "original_text",
    "perturbed_text",
    "perturbed_word_share",
    "queries",
)


@dataclass
class AttackOutcome:
    metrics: dict
    adversarial: list[dict] = field(default_factory=list)


MODEL_FILES = {"dnn": "dnn.pt", "kim": "kim.pt", "snn": "snn.pt", "snn_stochastic": "snn.pt", "snn_eot": "snn.pt"}


def select_examples(n_total: int, count: int, seed: int) -> list[int]:
    """The first `count` indices of a permutation of range(n_total) fixed by `seed`."""
    order = np.random.default_rng(seed).permutation(n_total)
    return [int(i) for i in order[: min(count, n_total)]]


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def summarise(records: list[dict]) -> tuple[dict, dict, dict[str, list[dict]]]:
    """Records of attack_example in position order -> (metrics per model and recipe, outcome strings
    per model and recipe, adversarial rows per "<model>__<recipe>")."""
    models: dict = {}
    outcomes: dict = {}
    tables: dict[str, list[dict]] = {}
    if not records:
        return models, outcomes, tables
    n = len(records)
    for name, per_recipe in records[0]["cells"].items():
        models[name], outcomes[name] = {}, {}
        for recipe in per_recipe:
            cells = [r["cells"][name][recipe] for r in records]
            codes = "".join(c["status"] for c in cells)
            s, f, k = codes.count("S"), codes.count("F"), codes.count("K")
            shares = [c["perturbed_word_share"] for c in cells if c["status"] == "S"]
            queries = [c["queries"] for c in cells if c["status"] != "K"]
            model_queries = sum(c["model_queries"] for c in cells)
            wall = sum(c["wall_s"] for c in cells)
            models[name][recipe] = {
                "examples": n,
                "attacked": s + f,
                "successful": s,
                "failed": f,
                "skipped": k,
                "clean_accuracy": _ratio(s + f, n),
                "accuracy_under_attack": _ratio(f, n),
                "success_rate": _ratio(s, s + f),
                "avg_perturbed_word_share": float(np.mean(shares)) if shares else None,
                "avg_queries": float(np.mean(queries)) if queries else None,
                "queries": model_queries,
                "wall_s": round(wall, 3),
                "queries_per_s": round(model_queries / wall, 1) if wall else None,
            }
            outcomes[name][recipe] = codes
            tables[f"{name}__{recipe}"] = [
                {
                    "index": r["index"],
                    "label": r["label"],
                    "perturbed_label": c["perturbed_label"],
                    "original_text": r["text"],
                    "perturbed_text": c["perturbed_text"],
                    "perturbed_word_share": round(c["perturbed_word_share"], 4),
                    "queries": c["queries"],
                }
                for r, c in zip(records, cells)
                if c["status"] == "S"
            ]
    return models, outcomes, tables


def attack_examples(
    recipe: str,
    wrapper,
    ctx: RecipeContext,
    examples: list[tuple[str, int]],
    seed: int,
    indices: list[int] | None = None,
    share_caches: bool = True,
) -> AttackOutcome:
    """Attack each (text, label) with `recipe` on `wrapper`; RecipeUnavailable if it cannot run."""
    session = AttackSession({"model": wrapper}, [recipe], ctx, seed, share_caches=share_caches)
    if recipe in session.skipped:
        raise RecipeUnavailable(session.skipped[recipe])
    indices = indices if indices is not None else list(range(len(examples)))
    records = [session.attack_example(p, i, text, label) for p, (i, (text, label)) in enumerate(zip(indices, examples))]
    models, _, tables = summarise(records)
    return AttackOutcome(models["model"][recipe], tables[f"model__{recipe}"])


def csv_text(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def write_csv_files(folder: Path, tables: dict[str, list[dict]]) -> None:
    """One CSV per "<model>__<recipe>" in `folder` (each written atomically); CSVs of cells not run go."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        write_text_atomic(folder / f"{name}.csv", csv_text(rows))
    for stale in folder.glob("*.csv"):
        if stale.stem not in tables:
            stale.unlink()


def under_attack_means(models: dict) -> dict:
    """Per model, the accuracy under attack averaged over the recipes that ran (the headline)."""
    out = {}
    for name, per_recipe in models.items():
        values = [m["accuracy_under_attack"] for m in per_recipe.values() if m.get("accuracy_under_attack") is not None]
        out[name] = round(sum(values) / len(values), 4) if values else None
    return out


def throughput(models: dict) -> dict:
    """Per model: texts run through it per second of attack time, over all recipes."""
    out = {}
    for name, per_recipe in models.items():
        queries = sum(m["queries"] for m in per_recipe.values())
        wall = sum(m["wall_s"] for m in per_recipe.values())
        out[name] = round(queries / wall, 1) if wall else None
    return out


def code_digest(exclude: Collection[str] = ()) -> str:
    """sha256 over the package's Python sources: a shard made by other code is not reused. `exclude`:
    files or folders relative to the package ("report", "attack/study.py") an attack's outcomes do not
    depend on, left out so that editing them keeps the shards of a long study (the stage excludes none)."""
    from snntext.attack.shards import file_digest

    package = Path(__file__).resolve().parents[1]
    sources = (p for p in package.rglob("*.py") if not _excluded(p.relative_to(package).as_posix(), exclude))
    return file_digest(sorted(sources))


def _excluded(relative: str, exclude: Collection[str]) -> bool:
    return any(relative == e or relative.startswith(e.rstrip("/") + "/") for e in exclude)


def build_job(
    dataset: str, settings: AttackConfig, resources, *, share_caches: bool = True, code: str | None = None, log=print
):
    """Load what the attack of `dataset` needs (models, data, vectors, neighbour table) into an AttackJob.
    `code`: the source digest its key holds (default code_digest(): every module of the package)."""
    from snntext.attack.job import AttackJob
    from snntext.attack.recipes import (
        NEEDS_EMBEDDING,
        NEEDS_SENTENCE_MODEL,
        build_word_embedding,
        minilm_path,
        recipe_skip_reason,
    )
    from snntext.attack.shards import file_digest, fingerprint
    from snntext.core import paths
    from snntext.core.device import resolve_device
    from snntext.core.errors import SnntextError
    from snntext.core.registry import load_registry
    from snntext.data.datasets import read_prepared
    from snntext.data.embed import read_embedded
    from snntext.data.vectors import load_vectors
    from snntext.models.checkpoint import load_checkpoint

    device = resolve_device(settings.device)
    registry = load_registry()
    language = registry.dataset(dataset).language
    embedded = read_embedded(paths.embedded_dir(dataset))
    test = read_prepared(paths.prepared_dir(dataset))["test"]
    if len(test) != len(embedded["arrays"]["test_labels"]):
        raise SnntextError(
            f"{paths.prepared_dir(dataset)}: test split has {len(test)} rows but the embedded data "
            f"{len(embedded['arrays']['test_labels'])}; rerun the embed stage"
        )
    vectors = load_vectors(registry.vector(embedded["meta"]["vectors"]))
    indices = select_examples(len(test), settings.examples, settings.seed)
    examples = [(str(test["text"].iloc[i]), int(test["label"].iloc[i])) for i in indices]
    runnable = [r for r in settings.recipes if recipe_skip_reason(r, language) is None]
    embedding = None
    if NEEDS_EMBEDDING & set(runnable):
        table = build_word_embedding(vectors, must_include=embedded["vocab"][2:])
        words = [table._index2word[i] for i in range(len(table._index2word))]
        embedding = (np.asarray(table.embedding_matrix), words, np.asarray(table.nn_matrix))
    sentence_model = minilm_path() if language == "en" and NEEDS_SENTENCE_MODEL & set(runnable) else None
    checkpoints = sorted({paths.models_dir(dataset) / MODEL_FILES[name] for name in settings.models})
    models = {
        name: load_checkpoint(paths.models_dir(dataset) / MODEL_FILES[name], map_location="cpu")[0]
        for name in settings.models
    }
    key = fingerprint(
        {
            "dataset": dataset,
            "seed": settings.seed,
            "timesteps": settings.timesteps,
            "recipes": settings.recipes,
            "models": settings.models,
            "spike_samples": settings.spike_samples,
            "eot_draws": settings.eot_draws if "snn_eot" in settings.models else None,  # no rerun when unused
            "similarity": settings.similarity,
            "batch_size": settings.batch_size,
            "device": str(device),
            "share_caches": share_caches,
            "wordnet": resources.wordnet_problem is None,
            "inputs": file_digest(
                checkpoints + sorted(p for p in paths.embedded_dir(dataset).iterdir() if p.is_file())
            ),
            "code": code_digest() if code is None else code,
        }
    )
    return AttackJob(
        key=key,
        language=language,
        models=models,
        embedded={k: embedded[k] for k in ("vocab", "table", "meta")},
        examples=examples,
        indices=indices,
        settings=settings,
        cache_dir=str(resources.nltk_data.parent),
        vectors=vectors,
        embedding=embedding,
        sentence_model=sentence_model,
        wordnet_problem=resources.wordnet_problem,
        device=str(device),
        share_caches=share_caches,
    )


def attack_results(
    dataset: str, language: str, settings: AttackConfig, records: list[dict], indices: list[int], log=print
) -> tuple[dict, dict[str, list[dict]]]:
    """The attack metrics of `records` (AttackSession.attack_example's, in position order; test rows
    `indices`): settings, per model and recipe, skipped recipes, throughput, paired statistics, outcomes
    and rows, with one log line per cell; and the successful adversarial examples per "<model>__<recipe>".
    What the stage and the paper-scale study (snntext.attack.study) both report."""
    from snntext.attack.statistics import recipe_statistics

    models, outcomes, tables = summarise(records)
    for name, per_recipe in models.items():
        for recipe, m in per_recipe.items():
            log(
                f"  {name:15s} {recipe:12s} clean {m['clean_accuracy']:.3f} under attack {m['accuracy_under_attack']:.3f} "
                f"queries {m['queries']} in {m['wall_s']:.1f}s"
            )
    skipped = records[0]["skipped"] if records else {}
    results = {
        "dataset": dataset,
        "language": language,
        "examples": len(records),
        "timesteps": settings.timesteps,
        "spike_samples": settings.spike_samples,
        "eot_draws": settings.eot_draws,
        "similarity": settings.similarity,
        "models": models,
        "skipped_recipes": skipped,
        "throughput_queries_per_s": throughput(models),
        "statistics": recipe_statistics(
            outcomes, reference="dnn" if "dnn" in outcomes else next(iter(outcomes)), seed=settings.seed
        )
        if len(outcomes) > 1
        else {},
        "outcomes": outcomes,
        "indices": indices,
    }
    return results, tables


def run_attack_stage(dataset: str, settings: AttackConfig, resources, log=print) -> dict:
    """The attack stage for one dataset: attack in shards (resuming any kept), write metrics + CSVs."""
    from snntext.attack.shards import ShardStore, plan_shards, run_shards
    from snntext.core import paths
    from snntext.core.device import seed_everything
    from snntext.core.stage_metrics import write_stage_metrics

    start = time.perf_counter()
    seed_everything(settings.seed)
    job = build_job(dataset, settings, resources, log=log)
    store = ShardStore(paths.attack_dir(dataset) / "shards", job.key)
    pruned = store.prune()
    if pruned:
        log(f"  {pruned} shard file(s) of another configuration removed")
    shards = plan_shards(len(job.examples), settings.shard_size)
    workers = f" ({settings.workers or 'one per core'} workers)" if settings.backend == "ray" else ""
    log(
        f"attack {dataset}: {len(job.examples)} examples in {len(shards)} shards, backend {settings.backend}"
        f"{workers}, models "
        f"{', '.join(settings.models)}, recipes {', '.join(settings.recipes)}"
    )
    run = run_shards(
        job, shards, store, backend=settings.backend, workers=settings.workers, retries=settings.retries, log=log
    )
    results, tables = attack_results(dataset, job.language, settings, run.records, job.indices, log=log)
    results["shards"] = {
        "count": len(shards),
        "size": settings.shard_size,
        "reused": run.reused,
        "attacked": run.attacked,
        "retries": run.retries,
        "backend": settings.backend,
        "workers": settings.workers,
    }
    results["attack_wall_s"] = run.wall_s
    results["wall_s"] = round(time.perf_counter() - start, 1)
    write_csv_files(paths.attack_dir(dataset), tables)
    results["under_attack"] = under_attack_means(results["models"])
    write_stage_metrics("attack", dataset, results)
    return results
