"""reports/robustness.md: is the SNN more robust to TextAttack's adversarial recipes than the DNN, beyond noise?

First the overall view (every dataset and recipe), the primary result: bootstrap intervals, the paired
SNN − DNN difference with its interval and the exact paired test's p-value, and the verdict from that test,
beside the paper's claim; then each dataset and recipe, with p-values Holm-adjusted over the cells (and over
the datasets for their means); then the recipes skipped and the attack runs. Intervals and p-values come
from the per-example outcomes the attack stage keeps (snntext.attack.statistics); the verdicts do not
depend on the bootstrap's seed. An older run without outcomes is shown with point estimates only. Then the
paper-scale study (scripts/run_attack_study.py, metrics/attack_study/), read the same way with its own Holm
families, the EOT attack beside the plain one, and partial runs labelled; or how to run it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from snntext.attack.statistics import LESS, MORE, RESAMPLES, correct_over_datasets, pooled_statistics, recipe_statistics
from snntext.core.errors import SnntextError
from snntext.core.stage_metrics import detail_file
from snntext.report.markdown import MISSING, display, markdown_table, pct
from snntext.report.metrics import NUMBER, DatasetMetrics, check_keys, read_json_object

REFERENCE = "dnn"
MODEL_NAMES = {
    "kim": "Kim TextCNN",
    "dnn": "Tailored DNN",
    "snn": "SNN (deterministic)",
    "snn_stochastic": "SNN (stochastic)",
    "snn_eot": "SNN (stochastic, EOT attack)",
}
SUBJECTS = {
    "kim": "Kim's TextCNN",
    "dnn": "the tailored DNN",
    "snn": "the deterministic SNN",
    "snn_stochastic": "the stochastic SNN",
    "snn_eot": "the stochastic SNN under an EOT attack",
}  # in sentences
MODEL_ORDER = ("dnn", "snn", "snn_stochastic", "snn_eot", "kim")
OFFLINE_SUBSTITUTIONS = (
    "Attacks run with TextAttack fully offline (src/snntext/attack/recipes.py): the Universal Sentence "
    "Encoder is replaced by SBERT all-MiniLM-L6-v2 with a cosine threshold of {similarity}; counter-fitted "
    "GloVe neighbours are replaced by nearest neighbours in this pipeline's own pre-trained vectors; WordNet "
    "is Debian's WordNet 3.0; BERT-Attack runs only when bert-base-uncased is in the local cache. TextAttack's "
    "PSO (Zang et al. 2020) searches over HowNet sememe substitutes, which cannot be had offline, so here PSO "
    "runs over the same 15 nearest neighbours in the pipeline's own vectors as TextFooler (which is also what "
    "the authors' code did, replacing HowNet by embedding swaps). On Chinese "
    "datasets only the character-edit and vector-neighbour recipes apply. The SNN sees T = {timesteps} steps; "
    "its stochastic variant draws fresh spikes for every query ({spike_samples} spike sample(s) averaged)."
)
# Quoted, not measured (as the accuracy numbers in paper.yaml): the claim and where it comes from.
PAPER_CLAIM = (
    'Paper\'s claim: the SNN is more robust to adversarial attacks than the DNN, "+13.55% robust accuracy" at '
    "T = 50, as quoted by secondary summaries of Lv, Xu & Zheng (ICLR 2023); the paper's own robustness table "
    "was not recovered (shared/notes/paper-digest.md section 4.3), so which recipes, datasets and numbers of "
    "examples that figure covers, and whether it is in points, is unknown."
)
NO_OUTCOMES = (
    "Intervals need the per-example outcomes of a newer attack stage (key `outcomes` in "
    "`metrics/attack/<dataset>_detail.json`); rerun `dvc repro attack` to get them."
)
METHOD = (
    "Intervals: {level:.0%} percentile bootstrap over the attacked examples ({resamples} resamples, seed {seed}; "
    "src/snntext/attack/statistics.py). Every model and recipe of a dataset is attacked on the same test examples, "
    "and each resample is applied to all of them at once: a difference between two models is paired (what makes "
    "an example hard for both cancels), and the overall view resamples each dataset's examples on its own. "
    "Verdicts do not come from the bootstrap (no seed moves them) but from an exact paired test of the difference "
    "in accuracy under attack (model − tailored DNN): per example, the model's count of attacks it resisted minus "
    "the DNN's, signs flipped at random under the null hypothesis that the two models are exchangeable, the "
    "two-sided p-value computed over every sign pattern (no random draws). For one cell this is the exact "
    "McNemar test on the examples only one of the two models resisted; a mean over recipes adds each example's "
    "recipes up; the overall test weighs each dataset's examples by 1 / its size, as the mean does. "
    "p, Holm: the cells' p-values Holm-adjusted over the {cells} of this report (per model), the datasets' "
    "means over the {datasets}; the overall difference is the primary result, one test per model, not "
    "adjusted. Verdict: more robust (less robust) when the adjusted p-value is at most {alpha:.2f} and the "
    "difference is above (below) 0, else no detectable difference. The interval gives the size; it can exclude 0 "
    "with no verdict (after the adjustment, or where few examples differ and the percentile bootstrap runs a "
    "little narrow). Means over recipes weigh each (dataset, recipe) cell the same and use the recipes "
    "every model ran; their success rate is successful / attacked summed over those cells."
)


# the columns of a model's row under attack, in the overall table (no Holm column: one test per model) and
# the per-recipe tables
RATE_COLUMNS = ("Clean acc", "Acc under attack", "Success rate", "Under attack − tailored DNN (points, paired)")
OVERALL_COLUMNS = (*RATE_COLUMNS, "p", "Verdict")
CELL_COLUMNS = (*RATE_COLUMNS, "p", "p, Holm", "Verdict")


def _model_order(models) -> list[str]:
    return sorted(models, key=lambda m: (MODEL_ORDER.index(m) if m in MODEL_ORDER else len(MODEL_ORDER), m))


def _points(value: float) -> str:
    """Signed points, 2 decimals; a difference that rounds to zero is shown unsigned."""
    text = f"{value:+.2f}"
    return "0.00" if text in ("+0.00", "-0.00") else text.replace("-", "−")


def _with_interval(entry: dict | None) -> str:
    """A share with its interval, in percent: 20.00 [15.00, 25.00]."""
    if entry is None or entry["value"] is None:
        return MISSING
    if entry["low"] is None:
        return pct(entry["value"])
    return f"{pct(entry['value'])} [{pct(entry['low'])}, {pct(entry['high'])}]"


def p_text(p: float) -> str:
    """A p-value: 3 decimals, or 2 significant digits below 0.001 (4.2e-06)."""
    return f"{p:.3f}" if p >= 0.001 else f"{p:.1e}"


def _difference(versus: dict, model: str, holm: bool = True) -> list[str]:
    """[difference in points with its paired interval, p, (Holm-adjusted p,) verdict] against the reference."""
    width = 4 if holm else 3
    if model == REFERENCE:
        return ["reference", *[MISSING] * (width - 1)]
    if model not in versus:
        return [MISSING] * width
    entry = versus[model]
    d = entry["difference_points"]
    adjusted = [p_text(entry["p_holm"])] if holm else []
    return [
        f"{_points(d['value'])} [{_points(d['low'])}, {_points(d['high'])}]",
        p_text(entry["p_value"]),
        *adjusted,
        entry["verdict"],
    ]


def _examples_text(sizes: list[int]) -> str:
    low, high = min(sizes), max(sizes)
    return str(low) if low == high else f"{low}–{high}"


def verdict_sentence(model: str, versus: dict, examples: str) -> str:
    """One plain sentence from the paired difference of `model` − reference: its interval, the exact test's
    p-value (Holm-adjusted when it is one of several tests) and the verdict."""
    d, verdict = versus["difference_points"], versus["verdict"]
    subject = SUBJECTS.get(model, model)
    subject = subject[0].upper() + subject[1:]
    reference = SUBJECTS[REFERENCE]
    interval = f"[{_points(d['low'])}, {_points(d['high'])}]"
    p = f"exact paired test p = {p_text(versus['p_value'])}"
    if versus["tests"] > 1:
        p += f", Holm-adjusted over {versus['tests']} tests {p_text(versus['p_holm'])}"
    if verdict in (MORE, LESS):
        side = "above" if verdict == MORE else "below"
        return (
            f"{subject}'s accuracy under attack is {abs(d['value']):.2f} points {interval} {side} "
            f"{reference}'s ({p}): {verdict}."
        )
    return (
        f"{subject}'s accuracy under attack cannot be told apart from {reference}'s at {examples} examples "
        f"per cell: {_points(d['value'])} points {interval} ({p})."
    )


def _statistics(
    attacked: dict[str, dict],
    refuse: Callable[[str, ValueError], SnntextError],
    seed: int = 0,
    resamples: int = RESAMPLES,
) -> tuple[dict, dict | None]:
    """Per dataset recipe_statistics (datasets with outcomes only; without differences where the
    tailored DNN was not attacked), Holm-adjusted over every dataset's cells and over the datasets'
    means (correct_over_datasets), and the pooled view over those with the DNN and a recipe every
    model ran; a bad outcome string stops the report with `refuse(dataset, error)` (naming the file). `seed`
    and `resamples` are the bootstrap's: they move the intervals' ends a little, never a p-value or a verdict."""
    per_dataset = {}
    for ds, a in attacked.items():
        outcomes = a.get("outcomes")
        if outcomes is None:
            continue
        attacked_models = list(outcomes) if isinstance(outcomes, dict) else []
        reference = REFERENCE if REFERENCE in attacked_models or not attacked_models else attacked_models[0]
        try:
            stats = recipe_statistics(outcomes, reference=reference, dataset=ds, seed=seed, resamples=resamples)
        except ValueError as err:
            raise refuse(ds, err) from None
        if reference != REFERENCE:  # attack.models left the DNN out: nothing to pair with
            for entry in [*stats["recipes"].values(), stats["all_recipes"] or {"vs_reference": {}}]:
                entry["vs_reference"] = {}
        per_dataset[ds] = stats
    per_dataset = correct_over_datasets(per_dataset)
    poolable = {
        ds: attacked[ds]["outcomes"]
        for ds, stats in per_dataset.items()
        if stats["all_recipes"] and stats["reference"] == REFERENCE
    }
    pooled = pooled_statistics(poolable, reference=REFERENCE, seed=seed, resamples=resamples) if poolable else None
    return per_dataset, pooled


def attack_statistics(
    run: dict[str, DatasetMetrics], *, seed: int = 0, resamples: int = RESAMPLES
) -> tuple[dict, dict | None]:
    """The statistics the report reads its verdicts from: per dataset (those with per-example outcomes;
    Holm-adjusted over all of them) and pooled over the datasets with the tailored DNN (None when there is
    nothing to pool). `seed`, `resamples`: the bootstrap's (the report's are 0 and RESAMPLES)."""
    attacked = {ds: m.stages["attack"] for ds, m in run.items() if "attack" in m.stages}
    return _statistics(attacked, _stage_refusal(run), seed, resamples) if attacked else ({}, None)


def _stage_refusal(run: dict[str, DatasetMetrics]) -> Callable[[str, ValueError], SnntextError]:
    """The error for a bad outcome string of the attack stage: its detail file and the remedy."""

    def refuse(ds: str, err: ValueError) -> SnntextError:
        path = detail_file("attack", ds, run[ds].files["attack"].parent.parent)
        return SnntextError(f"{path}: key 'outcomes': {err}; rerun the attack stage")

    return refuse


def _overall_section(attacked: dict, per_dataset: dict, pooled: dict | None) -> list[str]:
    parts = ["## Overall: all datasets and recipes (the primary result)", ""]
    if pooled is None:
        why = (
            NO_OUTCOMES
            if not per_dataset
            else ("no dataset has the tailored DNN and a recipe that every model ran, so there is nothing to pair.")
        )
        return parts + ["No intervals and no verdict: " + why, "", PAPER_CLAIM]
    pooled_sets = pooled["datasets"]
    examples = _examples_text([s["examples"] for s in pooled_sets.values()])
    rows, sentences = _pooled_rows(pooled, examples)
    cells = f"{pooled['cells']} (dataset, recipe) cell{'s' if pooled['cells'] > 1 else ''}"
    parts += [
        f"Mean over {cells} ({', '.join(display(ds) for ds in pooled_sets)}), {examples} examples per cell; "
        f"percent, {pooled['level']:.0%} intervals in brackets; p: exact paired test of the difference (stratified "
        "by dataset; one test per model, the primary result: not adjusted) and the verdict read from it; the method "
        "is told under Per dataset and recipe.",
        "",
        markdown_table(["Model", *OVERALL_COLUMNS], rows, "lrrrrrl"),
        "",
        *(f"- {s}" for s in sentences),
        "",
        PAPER_CLAIM + _ours(pooled),
    ]
    old = [display(ds) for ds in attacked if ds not in per_dataset]
    if old:
        parts += [
            "",
            f"Left out of the overall view (attacked before per-example outcomes were kept): "
            f"{', '.join(old)}. " + NO_OUTCOMES,
        ]
    unpaired = [display(ds) for ds in per_dataset if ds not in pooled_sets]
    if unpaired:
        parts += [
            "",
            f"Left out of the overall view (the tailored DNN was not attacked, or no recipe ran for "
            f"every model): {', '.join(unpaired)}.",
        ]
    return parts


def _pooled_rows(pooled: dict, examples: str) -> tuple[list[list[str]], list[str]]:
    """The overall table's rows (per model: rates with intervals, the difference against the tailored DNN,
    p and verdict) and one verdict sentence per model compared."""
    models = _model_order(pooled["models"])
    rows = [
        [
            MODEL_NAMES.get(m, m),
            *(
                _with_interval(pooled["models"][m][k])
                for k in ("clean_accuracy", "accuracy_under_attack", "success_rate")
            ),
            *_difference(pooled["vs_reference"], m, holm=False),
        ]
        for m in models
    ]
    sentences = [
        verdict_sentence(m, pooled["vs_reference"][m], examples) for m in models if m in pooled["vs_reference"]
    ]
    return rows, sentences


def _ours(pooled: dict) -> str:
    """What this run measured for the SNNs, to read beside the paper's claim."""
    ours = [
        f"{MODEL_NAMES[m]} {_difference(pooled['vs_reference'], m)[0]} points"
        for m in ("snn", "snn_stochastic")
        if m in pooled["vs_reference"]
    ]
    return f" Measured here (SNN − tailored DNN, accuracy under attack): {'; '.join(ours)}." if ours else ""


def _recipe_rows(a: dict, stats: dict | None) -> list[list[str]]:
    """One row per recipe and model (then the all-recipes mean per model): with intervals from
    `stats`, or the attack stage's point estimates when its outcomes are absent."""
    models = _model_order(dict.fromkeys([*a["models"], *(a.get("outcomes") or {})]))
    recipes = list(
        dict.fromkeys(
            [*(r for per_model in a["models"].values() for r in per_model), *(stats["recipes"] if stats else ())]
        )
    )
    rows = []
    for recipe in recipes:
        cell: Any = stats["recipes"].get(recipe) if stats else None  # JSON; not None where `measured` is not
        for model in models:
            result = a["models"].get(model, {}).get(recipe)
            measured = cell["models"].get(model) if cell else None
            if result is None and measured is None:
                continue
            share = result and result["avg_perturbed_word_share"]
            queries = result and result["avg_queries"]
            extra = [pct(share), MISSING if queries is None else f"{queries:.1f}"]
            if measured is None:  # point estimates only
                rows.append(
                    [
                        f"`{recipe}`",
                        MODEL_NAMES.get(model, model),
                        pct(result["clean_accuracy"]),
                        pct(result["accuracy_under_attack"]),
                        pct(result["success_rate"]),
                        MISSING,
                        MISSING,
                        MISSING,
                        MISSING,
                        *extra,
                    ]
                )
                continue
            rows.append(_measured_row(f"`{recipe}`", model, measured, cell["vs_reference"], extra))
    overall = stats and stats["all_recipes"]
    if overall:
        label = f"all recipes, mean ({len(overall['recipes'])})"
        for model in _model_order(overall["models"]):
            measured = overall["models"][model]
            rows.append(_measured_row(f"**{label}**", model, measured, overall["vs_reference"], [MISSING, MISSING]))
    return rows


def _measured_row(label: str, model: str, measured: dict, vs_reference: dict, extra: list[str]) -> list[str]:
    """A table row of a cell with intervals: accuracy under attack and success rate with theirs, the difference."""
    return [
        label,
        MODEL_NAMES.get(model, model),
        pct(measured["clean_accuracy"]["value"]),
        _with_interval(measured["accuracy_under_attack"]),
        _with_interval(measured["success_rate"]),
        *_difference(vs_reference, model),
        *extra,
    ]


def _dataset_section(ds: str, a: dict, stats: dict | None, title: str | None = None) -> list[str]:
    examples = stats["examples"] if stats else int(a.get("examples", 0))
    parts = [
        title or f"### {display(ds)}",
        "",
        f"**{examples} test examples per cell**" + ("" if stats else " (point estimates only). " + NO_OUTCOMES),
        "",
        markdown_table(
            ["Recipe", "Model", *CELL_COLUMNS, "Perturbed words", "Avg queries"], _recipe_rows(a, stats), "llrrrrrrlrr"
        ),
    ]
    return parts + [""]


def _counted(sizes: list[int], noun: str) -> str:
    """'20 cells', '1 dataset', '19–20 cells' (families of different sizes)."""
    text = _examples_text(sizes or [0])
    return f"{text} {noun}" if text == "1" else f"{text} {noun}s"


def _method(per_dataset: dict, pooled: dict) -> str:
    """METHOD with this report's numbers: the bootstrap's settings and the sizes of the Holm families."""
    families = [
        entry["tests"]
        for stats in per_dataset.values()
        for cell in stats["recipes"].values()
        for entry in cell["vs_reference"].values()
    ]
    means = [
        entry["tests"]
        for stats in per_dataset.values()
        for entry in (stats["all_recipes"] or {}).get("vs_reference", {}).values()
    ]
    return METHOD.format(
        level=pooled["level"],
        resamples=pooled["resamples"],
        seed=pooled["seed"],
        cells=_counted(families, "cell"),
        datasets=_counted(means, "dataset"),
        alpha=1 - pooled["level"],
    )


def robustness_markdown(run: dict[str, DatasetMetrics], study: dict[str, dict] | None = None) -> str:
    """The page: the attack stage's results, then the paper-scale study's (`study`: load_attack_study's,
    None or empty when it has not run)."""
    attacked = {ds: m.stages["attack"] for ds, m in run.items() if "attack" in m.stages}
    study = study or {}
    study = {ds: study[ds] for ds in [*(ds for ds in run if ds in study), *(ds for ds in study if ds not in run)]}
    head = [
        "# Robustness to adversarial attacks",
        "",
        "Generated by the `report` stage from `metrics/attack/` and `metrics/attack_study/` (do not edit).",
    ]
    if not attacked:
        return "\n".join(
            head
            + [
                "",
                "No attack metrics: the `attack` stage did not run for any dataset of this "
                f"run ({', '.join(display(d) for d in run)}; no `metrics/attack/<dataset>.json`). "
                "Run `dvc repro attack` to fill this report.",
                "",
                *study_section(study),
            ]
        )
    per_dataset, pooled = _statistics(attacked, _stage_refusal(run))
    settings = sorted(
        {
            (a.get("similarity", MISSING), a.get("timesteps", MISSING), a.get("spike_samples", MISSING))
            for a in attacked.values()
        },
        key=str,
    )
    similarity, timesteps, samples = (" / ".join(str(s[i]) for s in settings) for i in range(3))
    sizes = ", ".join(
        f"{display(ds)} {per_dataset[ds]['examples'] if ds in per_dataset else int(a.get('examples', 0))}"
        for ds, a in attacked.items()
    )
    skipped, throughput = [], []
    for ds, a in attacked.items():
        for recipe, reason in a["skipped_recipes"].items():
            skipped.append(f"- {display(ds)}, `{recipe}`: {reason}")
        rates = a.get("throughput_queries_per_s") or {}
        throughput.append(
            f"- {display(ds)}: {int(a.get('examples', 0))} test examples, wall time {a['wall_s']:.0f} s"
            + (
                "; queries/s " + ", ".join(f"{MODEL_NAMES.get(k, k)} {v:.1f}" for k, v in rates.items())
                if rates
                else ""
            )
        )
    parts = head + [
        "",
        f"**Test examples per cell** (each model and recipe of a dataset is attacked on the same ones): {sizes}.",
        "",
        *_overall_section(attacked, per_dataset, pooled),
        "",
        "## Per dataset and recipe",
        "",
        "Clean accuracy = (successful + failed) / examples; accuracy under attack = failed / examples; success "
        "rate = successful / (successful + failed); perturbed words = mean share of words changed by successful "
        "attacks; queries = mean model queries per attacked example. Percent except queries; intervals in brackets.",
        "",
    ]
    if pooled is not None:
        parts += [_method(per_dataset, pooled), ""]
    for ds, a in attacked.items():
        parts += _dataset_section(ds, a, per_dataset.get(ds))
    parts += study_section(study)
    parts += [
        "## How the attacks differ from the originals",
        "",
        OFFLINE_SUBSTITUTIONS.format(similarity=similarity, timesteps=timesteps, spike_samples=samples),
        "",
        "## Recipes skipped",
        "",
        *(skipped or ["None."]),
        "",
        "## Attack runs",
        "",
        *throughput,
    ]
    not_run = [display(ds) for ds in run if ds not in attacked]
    if not_run:
        parts += ["", f"Not attacked in this run (no metrics file): {', '.join(not_run)}."]
    return "\n".join(parts + [""])


# ---------------------------------------------------------------------------------------------------------
# The paper-scale study (scripts/run_attack_study.py, snntext.attack.study): metrics/attack_study/<dataset>.json

STUDY_FOLDER = "attack_study"  # under metrics/ (and data/, its shards): written by scripts/run_attack_study.py
STUDY_COMMAND = "PYTHONPATH=src python scripts/run_attack_study.py"
_STUDY_KEYS = {
    "examples": int,
    "examples_planned": int,
    "examples_done": int,
    "partial": bool,
    "models": dict,
    "outcomes": dict,
    "skipped_recipes": dict,
    "wall_s": NUMBER,
    "sittings": list,
}
STUDY_NOT_RUN = (
    "The paper-scale study has not run: no `metrics/attack_study/<dataset>.json`. It attacks as many test "
    "examples as the paper (1000 of MR and SST-2, 300 of the other datasets) with deepwordbug, pwws, textfooler, "
    "textbugger and pso, on the tailored DNN and the deterministic, stochastic and EOT-attacked SNN, outside the "
    f"pipeline (days of CPU; docs/attacks.md): `{STUDY_COMMAND}` (`--dry-run` prints the plan and its "
    "estimated cost), then `dvc repro report`."
)
EOT_NOTE = (
    "The stochastic SNN draws fresh spikes for every query. The plain attack scores each query on one draw; the "
    "EOT attack (expectation over transformation) on the mean of several, the adaptive attack a randomised "
    "defence has to survive. EOT − plain: the paired difference in accuracy under attack (mean over the recipes "
    "both ran), with the exact paired test; p, Holm: over the datasets. Over the DNN: the stochastic SNN's "
    "difference from the tailored DNN under each attack, and the share of the plain attack's advantage the EOT "
    "attack leaves (– where there is no advantage to keep)."
)


def load_attack_study(folder: Path) -> dict[str, dict]:
    """metrics/attack_study/<dataset>.json by dataset (file name order), each checked for the keys the report
    reads; {} when the study has not run. A file that cannot be read stops the report naming it."""
    folder = Path(folder)
    study: dict[str, dict] = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        fix = f"rewrite it (`{STUDY_COMMAND} --collect-only --datasets {path.stem}`)"
        data = read_json_object(path, "a JSON object (the study's metrics of one dataset)", fix)
        check_keys(data, _STUDY_KEYS, path, fix=fix)
        study[path.stem] = data
    return study


def _study_refusal(ds: str, err: ValueError) -> SnntextError:
    return SnntextError(
        f"metrics/{STUDY_FOLDER}/{ds}.json: key 'outcomes': {err}; rewrite it (`{STUDY_COMMAND} --collect-only`)"
    )


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 3600 else f"{seconds / 3600:.1f} h"


def _done_text(a: dict) -> str:
    """'1000 of 1000 examples', '120 of 300 examples (partial run)'."""
    text = f"{a['examples_done']} of {a['examples_planned']} examples"
    return text + (" (partial run)" if a["partial"] else "")


def _advantage_kept(plain: float | None, eot: float | None) -> str:
    """The share of the plain attack's advantage over the DNN (points) that is left under EOT, in percent."""
    if plain is None or eot is None or plain <= 0:
        return MISSING
    return f"{100 * eot / plain:.0f}%"


def _eot_statistics(study: dict[str, dict], seed: int, resamples: int) -> tuple[dict, dict | None]:
    """EOT − plain on the stochastic SNN, per dataset (Holm over the datasets' means) and pooled, from the
    datasets where both ran a common recipe."""
    pairs = {
        ds: {m: a["outcomes"][m] for m in ("snn_stochastic", "snn_eot")}
        for ds, a in study.items()
        if "snn_stochastic" in a["outcomes"] and "snn_eot" in a["outcomes"] and a["examples"] > 0
    }
    per_dataset = {}
    for ds, outcomes in pairs.items():
        try:
            stats = recipe_statistics(outcomes, reference="snn_stochastic", dataset=ds, seed=seed, resamples=resamples)
        except ValueError as err:
            raise _study_refusal(ds, err) from None
        if stats["all_recipes"]:
            per_dataset[ds] = stats
    per_dataset = correct_over_datasets(per_dataset)
    pooled = (
        pooled_statistics(
            {ds: pairs[ds] for ds in per_dataset}, reference="snn_stochastic", seed=seed, resamples=resamples
        )
        if per_dataset
        else None
    )
    return per_dataset, pooled


def _eot_row(label: str, eot: dict, main: dict | None, holm: bool) -> list[str]:
    """One row of the EOT table: plain and EOT accuracy under attack, EOT − plain, and what is left of the
    advantage over the DNN (`main`: the same cells' comparison with the DNN, when it was attacked)."""
    under = {m: _with_interval(eot["models"][m]["accuracy_under_attack"]) for m in ("snn_stochastic", "snn_eot")}
    versus = main["vs_reference"] if main else {}
    over = {m: versus[m]["difference_points"]["value"] if m in versus else None for m in ("snn_stochastic", "snn_eot")}
    return [
        label,
        under["snn_stochastic"],
        under["snn_eot"],
        *_difference(eot["vs_reference"], "snn_eot", holm=holm),
        *(MISSING if v is None else _points(v) for v in over.values()),
        _advantage_kept(over["snn_stochastic"], over["snn_eot"]),
    ]


def _eot_section(
    study: dict[str, dict], per_dataset: dict, pooled: dict | None, seed: int, resamples: int
) -> list[str]:
    eot_per_dataset, eot_pooled = _eot_statistics(study, seed, resamples)
    if not eot_per_dataset:
        return []
    header = [
        "Dataset",
        "SNN (stochastic), plain attack",
        "SNN (stochastic), EOT attack",
        "EOT − plain (points, paired)",
        "p",
        "p, Holm",
        "Verdict (EOT vs plain)",
        "Over the DNN, plain (points)",
        "Over the DNN, EOT (points)",
        "Advantage kept",
    ]
    rows = [
        _eot_row(display(ds), stats["all_recipes"], (per_dataset.get(ds) or {}).get("all_recipes"), holm=True)
        for ds, stats in eot_per_dataset.items()
    ]
    if eot_pooled is not None and len(eot_per_dataset) > 1:
        row = _eot_row("**all datasets**", eot_pooled, pooled, holm=False)
        rows.append([*row[:5], MISSING, *row[5:]])
    return ["### The stochastic SNN under EOT", "", EOT_NOTE, "", markdown_table(header, rows, "lrrrrrlrrr"), ""]


def study_section(study: dict[str, dict], *, seed: int = 0, resamples: int = RESAMPLES) -> list[str]:
    """The "Paper-scale study" section of reports/robustness.md from load_attack_study's files: the overall
    difference from the tailored DNN (the primary result), each dataset and recipe with p-values Holm-adjusted
    over the study's cells, the stochastic SNN under EOT beside the plain attack, and the runs (examples done
    of planned, partial runs labelled, wall time, machine and commit); or how to run it when it has not run."""
    parts = ["## Paper-scale study", ""]
    if not study:
        return parts + [STUDY_NOT_RUN, ""]
    per_dataset, pooled = _statistics(study, _study_refusal, seed, resamples)
    done = ", ".join(f"{display(ds)} {_done_text(a)}" for ds, a in study.items())
    parts += [
        f"From `metrics/{STUDY_FOLDER}/` (`{STUDY_COMMAND}`, run outside the pipeline; docs/attacks.md): the "
        "attacks of the stage on as many test examples as the paper, with the same statistics and their own Holm "
        "families (every cell of the study; the datasets' means). "
        f"**Examples done**: {done}.",
        "",
    ]
    partial = [ds for ds, a in study.items() if a["partial"]]
    if partial:
        parts += [
            "**Partial run**: "
            + ", ".join(f"{display(ds)} ({_done_text(study[ds]).removesuffix(' (partial run)')})" for ds in partial)
            + ". Its statistics cover the first examples of the seeded order that are done, a random sample of "
            f"the test set; `{STUDY_COMMAND}` resumes where it stopped.",
            "",
        ]
    parts += ["### Overall: all datasets and recipes of the study (its primary result)", ""]
    if pooled is None:
        parts += [
            "No intervals and no verdict: no dataset of the study has the tailored DNN and a recipe that every model ran.",
            "",
        ]
    else:
        examples = _examples_text([s["examples"] for s in pooled["datasets"].values()])
        rows, sentences = _pooled_rows(pooled, examples)
        cells = f"{pooled['cells']} (dataset, recipe) cell{'s' if pooled['cells'] > 1 else ''}"
        parts += [
            f"Mean over {cells} ({', '.join(display(ds) for ds in pooled['datasets'])}), {examples} examples per "
            f"cell; percent, {pooled['level']:.0%} intervals in brackets; p: exact paired test (stratified by "
            "dataset; one test per model, not adjusted).",
            "",
            markdown_table(["Model", *OVERALL_COLUMNS], rows, "lrrrrrl"),
            "",
            *(f"- {s}" for s in sentences),
            "",
            PAPER_CLAIM + _ours(pooled),
            "",
        ]
    parts += _eot_section(study, per_dataset, pooled, seed, resamples)
    for ds, a in study.items():
        parts += _dataset_section(ds, a, per_dataset.get(ds), title=f"### {display(ds)}, paper-scale: {_done_text(a)}")
    parts += ["### Study runs", ""]
    for ds, a in study.items():
        sittings = a["sittings"]
        last = sittings[-1] if sittings else {}
        machine = a.get("ran_on", {}).get("cpu", {}).get("model") or last.get("cpu", MISSING)
        parts.append(
            f"- {display(ds)}: {_done_text(a)}; wall time {_duration(float(a['wall_s']))} over {len(sittings)} "
            f"sitting{'' if len(sittings) == 1 else 's'}"
            + (
                f" (last {last.get('date', MISSING)}, {last.get('ended', MISSING)}, backend {last.get('backend', MISSING)})"
                if last
                else ""
            )
            + f"; machine {machine}; code {a.get('commit', MISSING)}"
            + (
                "; skipped: " + ", ".join(f"`{r}` ({why})" for r, why in a["skipped_recipes"].items())
                if a["skipped_recipes"]
                else ""
            )
        )
    return parts + [""]
