"""Running the attacks: one dataset x model x recipe at a time, and the whole attack stage.

Metrics per run (cf. the authors' SimplifidResult; s successful, f failed, k skipped = already
misclassified, n = s + f + k examples):
  clean_accuracy = (s + f) / n, accuracy_under_attack = f / n, success_rate = s / (s + f),
  avg_perturbed_word_share = mean over successful attacks of changed words / words (TextAttack's words),
  avg_queries = mean model queries per attacked (non-skipped) example (TextAttack's count, cache hits free),
  queries = texts actually run through the model, wall_s, queries_per_s = queries / wall_s.
Successful adversarial examples are kept for inspection (CSV).
Import after snntext.attack.offline.prepare_offline().
"""
from __future__ import annotations

import csv
import io
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from textattack.attack_results import FailedAttackResult, SkippedAttackResult, SuccessfulAttackResult

from snntext.attack.recipes import RecipeContext, RecipeUnavailable, build_attack
from snntext.atomic import replaced_folder
from snntext.config import AttackConfig

CSV_COLUMNS = ("index", "label", "perturbed_label", "original_text", "perturbed_text", "perturbed_word_share",
               "queries")


@dataclass
class AttackOutcome:
    metrics: dict
    adversarial: list[dict] = field(default_factory=list)


def select_examples(n_total: int, count: int, seed: int) -> list[int]:
    """The first `count` indices of a permutation of range(n_total) fixed by `seed`."""
    order = np.random.default_rng(seed).permutation(n_total)
    return [int(i) for i in order[: min(count, n_total)]]


def _seed_all(seed: int) -> None:
    """The character-edit transformations draw from Python's and NumPy's global generators."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def attack_examples(recipe: str, wrapper, ctx: RecipeContext, examples: list[tuple[str, int]], seed: int,
                    indices: list[int] | None = None) -> AttackOutcome:
    """Attack each (text, label) with `recipe` on `wrapper`; RecipeUnavailable if it cannot run."""
    attack = build_attack(recipe, wrapper, ctx)
    _seed_all(seed)
    indices = indices if indices is not None else list(range(len(examples)))
    counts = {"successful": 0, "failed": 0, "skipped": 0}
    shares, queries, adversarial = [], [], []
    queries_before, start = wrapper.queries, time.perf_counter()
    for index, (text, label) in zip(indices, examples):
        result = attack.attack(text, int(label))
        if isinstance(result, SkippedAttackResult):
            counts["skipped"] += 1
            continue
        queries.append(result.perturbed_result.num_queries)
        if isinstance(result, SuccessfulAttackResult):
            counts["successful"] += 1
            original, perturbed = result.original_result.attacked_text, result.perturbed_result.attacked_text
            share = len(original.all_words_diff(perturbed)) / max(1, len(original.words))
            shares.append(share)
            adversarial.append({
                "index": index, "label": int(label), "perturbed_label": int(result.perturbed_result.output),
                "original_text": text, "perturbed_text": perturbed.text, "perturbed_word_share": round(share, 4),
                "queries": result.perturbed_result.num_queries,
            })
        elif isinstance(result, FailedAttackResult):
            counts["failed"] += 1
        else:  # e.g. MaximizedAttackResult: not produced by untargeted classification
            raise TypeError(f"unexpected attack result {type(result).__name__}")
    wall = time.perf_counter() - start
    n, s, f = len(examples), counts["successful"], counts["failed"]
    model_queries = wrapper.queries - queries_before
    metrics = {
        "examples": n, "attacked": s + f, **counts,
        "clean_accuracy": _ratio(s + f, n), "accuracy_under_attack": _ratio(f, n), "success_rate": _ratio(s, s + f),
        "avg_perturbed_word_share": float(np.mean(shares)) if shares else None,
        "avg_queries": float(np.mean(queries)) if queries else None,
        "queries": model_queries, "wall_s": round(wall, 3), "queries_per_s": round(model_queries / wall, 1) if wall else None,
    }
    return AttackOutcome(metrics, adversarial)


def csv_text(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def write_csv_folder(folder: Path, tables: dict[str, list[dict]]) -> None:
    """Replace `folder` with one CSV per name (<model>__<recipe>.csv), all or nothing."""
    with replaced_folder(folder) as staging:
        for name, rows in tables.items():
            (staging / f"{name}.csv").write_text(csv_text(rows), encoding="utf-8")


def run_attacks(wrappers: dict, recipes: list[str], ctx: RecipeContext, examples: list[tuple[str, int]],
                indices: list[int], seed: int, log=print) -> tuple[dict, dict[str, list[dict]]]:
    """Every model x recipe on the same examples: (metrics, {"<model>__<recipe>": adversarial rows})."""
    results: dict = {"models": {}, "skipped_recipes": {}, "throughput_queries_per_s": {}}
    tables: dict[str, list[dict]] = {}
    for model_name, wrapper in wrappers.items():
        per_recipe, total_queries, total_wall = {}, 0, 0.0
        for recipe in recipes:
            try:
                outcome = attack_examples(recipe, wrapper, ctx, examples, seed, indices)
            except RecipeUnavailable as err:
                results["skipped_recipes"][recipe] = str(err)
                log(f"  {model_name:15s} {recipe:12s} skipped: {err}")
                continue
            m = outcome.metrics
            per_recipe[recipe] = m
            tables[f"{model_name}__{recipe}"] = outcome.adversarial
            total_queries += m["queries"]
            total_wall += m["wall_s"]
            log(f"  {model_name:15s} {recipe:12s} clean {m['clean_accuracy']:.3f} under attack "
                f"{m['accuracy_under_attack']:.3f} success {m['success_rate'] if m['success_rate'] is not None else float('nan'):.3f} "
                f"queries {m['queries']} in {m['wall_s']:.1f}s ({m['queries_per_s']} q/s)")
        results["models"][model_name] = per_recipe
        results["throughput_queries_per_s"][model_name] = round(total_queries / total_wall, 1) if total_wall else None
    return results, tables


MODEL_FILES = {"dnn": "dnn.pt", "kim": "kim.pt", "snn": "snn.pt", "snn_stochastic": "snn.pt"}
SPIKING_MODELS = ("snn", "snn_stochastic")


def under_attack_means(models: dict) -> dict:
    """Per model, the accuracy under attack averaged over the recipes that ran (the headline)."""
    out = {}
    for name, per_recipe in models.items():
        values = [m["accuracy_under_attack"] for m in per_recipe.values() if m.get("accuracy_under_attack") is not None]
        out[name] = round(sum(values) / len(values), 4) if values else None
    return out


def run_attack_stage(dataset: str, settings: AttackConfig, resources, log=print) -> dict:
    """The attack stage for one dataset: load models and data, attack, write metrics + CSVs."""
    from snntext import paths
    from snntext.attack.recipes import RecipeContext, build_word_embedding, load_sentence_model, recipe_skip_reason
    from snntext.attack.wrappers import DNNWrapper, SNNWrapper, TextEncoder
    from snntext.data.datasets import read_prepared
    from snntext.data.sources import load_registry
    from snntext.device import resolve_device, seed_everything
    from snntext.embed_dataset import read_embedded
    from snntext.embeddings import load_vectors
    from snntext.errors import SnntextError
    from snntext.stage_metrics import write_stage_metrics
    from snntext.models.checkpoint import load_checkpoint

    start = time.perf_counter()
    device = resolve_device(settings.device)
    seed_everything(settings.seed)
    registry = load_registry()
    language = registry.dataset(dataset).language
    embedded = read_embedded(paths.embedded_dir(dataset))
    test = read_prepared(paths.prepared_dir(dataset))["test"]
    if len(test) != len(embedded["arrays"]["test_labels"]):
        raise SnntextError(f"{paths.prepared_dir(dataset)}: test split has {len(test)} rows but the embedded data "
                           f"{len(embedded['arrays']['test_labels'])}; rerun the embed stage")
    vectors = load_vectors(registry.vector(embedded["meta"]["vectors"]))
    encoder = TextEncoder.from_embedded(embedded, vectors=vectors)
    indices = select_examples(len(test), settings.examples, settings.seed)
    examples = [(test["text"].iloc[i], int(test["label"].iloc[i])) for i in indices]

    runnable = [r for r in settings.recipes if recipe_skip_reason(r, language) is None]
    ctx = RecipeContext(language=language, similarity=settings.similarity, wordnet_problem=resources.wordnet_problem,
                        batch_size=settings.batch_size)
    if {"textfooler", "textbugger"} & set(runnable):
        ctx.embedding = build_word_embedding(vectors, must_include=embedded["vocab"][2:])
    if language == "en" and {"textfooler", "textbugger", "bert_attack"} & set(runnable):
        ctx.sentence_model = load_sentence_model(device=device)

    wrappers = {}
    for name in settings.models:
        model, _ = load_checkpoint(paths.models_dir(dataset) / MODEL_FILES[name], map_location=device)
        if name in SPIKING_MODELS:
            wrappers[name] = SNNWrapper(model, encoder, settings.timesteps, model.num_classes, seed=settings.seed,
                                        stochastic=name == "snn_stochastic", spike_samples=settings.spike_samples,
                                        device=device, batch_size=settings.batch_size)
        else:
            wrappers[name] = DNNWrapper(model, encoder, device=device, batch_size=settings.batch_size)
    log(f"attack {dataset}: {len(examples)} examples, models {', '.join(wrappers)}, recipes {', '.join(settings.recipes)}")
    results, tables = run_attacks(wrappers, settings.recipes, ctx, examples, indices, settings.seed, log=log)
    results = {"dataset": dataset, "language": language, "examples": len(examples), "timesteps": settings.timesteps,
               "spike_samples": settings.spike_samples, "similarity": settings.similarity,
               "words_added_to_vocabulary": encoder.added_words, **results,
               "wall_s": round(time.perf_counter() - start, 1)}
    write_csv_folder(paths.attack_dir(dataset), tables)
    results["under_attack"] = under_attack_means(results["models"])
    write_stage_metrics("attack", dataset, results)
    return results
