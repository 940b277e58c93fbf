"""Numbers of the committed run in README.md and docs/*.md are generated: each block between its markers is
what the report stage writes from the committed metrics/, and the mechanism refuses what it cannot fill."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from snntext.core.errors import SnntextError
from snntext.report.build import write_reports
from snntext.report.doc_blocks import (
    RESULTS,
    find_blocks,
    generated_blocks,
    independent_interval,
    markers,
    replace_blocks,
)
from snntext.report.frontier import GRID_FILE, load_grid
from snntext.report.metrics import load_run_metrics
from snntext.report.seeds import STUDY_FILE, load_study
from tests.report.fake_metrics import fake_grid, other_rows_metrics, write_fake_run, write_metrics
from tests.report.test_tables import ENVIRONMENT, PARAMS

ROOT = Path(__file__).resolve().parents[2]
QUOTING = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]  # what the report stage rewrites


@pytest.fixture(scope="module")
def committed_blocks() -> dict[str, str]:
    """Every block regenerated from the committed metrics, with the report's own reading code."""
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    run = load_run_metrics(list(params["datasets"]), ROOT / "metrics")
    study = load_study(ROOT / "metrics" / STUDY_FILE)
    return generated_blocks(run, params, load_grid(ROOT / "metrics" / GRID_FILE), study)


def _stale(text: str, blocks: dict[str, str], where: str) -> list[str]:
    """Names of the blocks of `text` whose content is not what the report would write."""
    stale = []
    for block in find_blocks(text, where):
        current = text[block.start : block.end]
        wanted = blocks[block.name].strip() if block.inline else f"\n{blocks[block.name].strip()}\n"
        if current != wanted:
            stale.append(block.name)
    return stale


@pytest.mark.parametrize("path", QUOTING, ids=lambda p: str(p.relative_to(ROOT)))
def test_committed_file_holds_no_stale_generated_block(path, committed_blocks):
    text = path.read_text(encoding="utf-8")
    where = str(path.relative_to(ROOT))
    stale = _stale(text, committed_blocks, where)  # an unknown block name raises, naming the file
    assert not stale, (
        f"{where}: generated blocks {stale} differ from metrics/: rewrite them with the report stage "
        "(dvc repro report), do not edit them by hand"
    )
    assert replace_blocks(text, committed_blocks, where) == text


def test_every_generated_block_is_quoted_somewhere(committed_blocks):
    quoted = {b.name for path in QUOTING for b in find_blocks(path.read_text(encoding="utf-8"), str(path))}
    assert set(committed_blocks) <= quoted, f"blocks no file quotes: {sorted(set(committed_blocks) - quoted)}"


def test_readme_results_block_is_the_accuracy_table(committed_blocks):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start, end = markers(RESULTS)
    assert readme.count(start) == readme.count(end) == 1
    assert committed_blocks[RESULTS].startswith("| Model |")


def test_inline_and_line_blocks_are_replaced_in_place():
    a, b = markers("a"), markers("b")
    text = f"x {a[0]}old{a[1]} y\n{b[0]}\nold\nlines\n{b[1]}\nz {a[0]}{a[1]}\n"
    new = replace_blocks(text, {"a": "1.0", "b": "| t |\n| - |\n"}, "doc.md")
    assert new == f"x {a[0]}1.0{a[1]} y\n{b[0]}\n| t |\n| - |\n{b[1]}\nz {a[0]}1.0{a[1]}\n"
    assert replace_blocks(new, {"a": "1.0", "b": "| t |\n| - |"}, "doc.md") == new  # idempotent


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a <!-- generated:nope:start -->x<!-- generated:nope:end -->", "doc.md: unknown generated block 'nope'"),
        ("a\n<!-- generated:a:start -->x\n", "doc.md line 2: block 'a' has no end marker"),
        ("<!-- generated:a:end -->", "doc.md line 1: end of block 'a' without its start marker"),
        (
            "a <!-- generated:a:start --><!-- generated:b:start --><!-- generated:b:end --><!-- generated:a:end -->",
            "block 'b' starts inside block 'a'",
        ),
        ("a <!-- generated:b:start -->x<!-- generated:b:end -->", "block 'b' is inline but its content is several"),
        ("<!-- generated:a:start -->x<!-- generated:a:end -->", "inline block 'a' starts its line"),
        ("a <!-- generated:a:start -->\nx\n<!-- generated:a:end -->", "must start on a line of its own"),
        ("<!-- generated:a:start -->\nx <!-- generated:a:end -->", "line 2: block 'a' of whole lines must end"),
    ],
)
def test_broken_or_unknown_blocks_are_refused_naming_the_file(text, message):
    with pytest.raises(SnntextError, match=message):
        replace_blocks(text, {"a": "1", "b": "two\nlines"}, "doc.md")


def test_independent_interval_is_the_normal_approximation():
    diff, low, high = independent_interval(0.80, 0.75, 1000)
    half = 1.959964 * ((0.8 * 0.2 + 0.75 * 0.25) / 1000) ** 0.5 * 100
    assert diff == pytest.approx(5.0) and low == pytest.approx(5.0 - half) and high == pytest.approx(5.0 + half)


def _fake_project(tmp_path: Path, grid: dict | None = None) -> list[str]:
    datasets = write_fake_run(tmp_path / "metrics")
    if grid is not None:
        (tmp_path / "metrics" / GRID_FILE).write_text(json.dumps(grid))
    return datasets


def test_report_rewrites_the_blocks_of_readme_and_docs(tmp_path):
    datasets = _fake_project(tmp_path, fake_grid({"T50": (50, -0.005), "T4": (4, -0.01), "T8": (8, 0.0)}))
    docs = tmp_path / "docs"
    docs.mkdir()
    ratio = markers("t50-ratio")
    (docs / "a.md").write_text(f"costs {ratio[0]}old{ratio[1]} its DNN\n\n{markers('grid')[0]}\n{markers('grid')[1]}\n")
    (docs / "plain.md").write_text("no blocks\n")
    readme = tmp_path / "README.md"
    readme.write_text(
        f"{markers(RESULTS)[0]}\n{markers(RESULTS)[1]}\nprofile {markers('profile')[0]}{markers('profile')[1]}\n"
    )
    written = write_reports(
        datasets,
        PARAMS,
        metrics_dir=tmp_path / "metrics",
        reports_dir=tmp_path / "reports",
        readme=readme,
        docs_dir=docs,
        environment=ENVIRONMENT,
    )
    assert readme in written and docs / "a.md" in written and docs / "plain.md" not in written
    a = (docs / "a.md").read_text()
    assert f"costs {ratio[0]}4.87x{ratio[1]} its DNN" in a  # the fake run's fine-tuned SNN, both datasets
    # the profile's row in bold: worst test gap, worst dev gap, paper ratio, fair ratio with neuron updates
    assert "| **`T4`** | **T = 4** | **−1.00 (MR)** | **−1.00** | **0.39 (0.39)** | **0.39 (0.39)** |" in a
    assert "| `T8` | T = 8 | 0.00 (MR) | 0.00 | 0.78 (0.78) | 0.78 (0.78) |" in a  # too dear: not the profile
    profile = readme.read_text()
    assert "at most 0.39x the paper-faithful DNN's energy per sentence with neuron updates" in profile
    assert (
        "chosen on dev with a worst dev gap of −1.00 points and confirmed on test with a worst gap of −1.00" in profile
    )
    again = write_reports(
        datasets,
        PARAMS,
        metrics_dir=tmp_path / "metrics",
        reports_dir=tmp_path / "reports",
        readme=readme,
        docs_dir=docs,
        environment=ENVIRONMENT,
    )
    assert readme not in again and docs / "a.md" not in again  # current blocks: files untouched


def test_an_unknown_block_stops_the_report_before_anything_is_written(tmp_path):
    datasets = _fake_project(tmp_path)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("a <!-- generated:typo:start -->x<!-- generated:typo:end -->\n")
    with pytest.raises(SnntextError, match=r"a\.md: unknown generated block 'typo'"):
        write_reports(
            datasets,
            PARAMS,
            metrics_dir=tmp_path / "metrics",
            reports_dir=tmp_path / "reports",
            docs_dir=docs,
            environment=ENVIRONMENT,
        )
    assert not (tmp_path / "reports").exists()


def test_blocks_of_a_run_without_grid_or_optional_stages_say_so(tmp_path):
    datasets = _fake_project(tmp_path)
    run = load_run_metrics(datasets, tmp_path / "metrics")
    for m in run.values():
        for stage in ("attack", "train_direct", "random_embeddings"):
            m.stages.pop(stage, None)
    blocks = generated_blocks(run, PARAMS, None)
    assert blocks["profile-short"].startswith("not found yet")
    assert blocks["grid"].startswith("_No energy grid")
    assert blocks["direct"].startswith("The `train_direct` stage has not run")
    assert blocks["robustness"].startswith("No attack run")
    assert "\n" not in blocks["now"] and blocks["now"].startswith("**Now**")
    for m in run.values():  # metrics from before the paired gap: the blocks say so, the report does not stop
        m.stages["finetune"].pop("paired_gap")
    blocks = generated_blocks(run, PARAMS, None)
    assert "not measured" in blocks["now"] and "not measured" in blocks["draw-std"]


def test_comparisons_carry_their_interval_and_verdict(tmp_path):
    datasets = _fake_project(tmp_path, fake_grid({"T50": (50, -0.005), "T4": (4, -0.01)}))
    for ds, base in zip(datasets, (0.76, 0.85)):
        for stage, data in other_rows_metrics(base).items():
            write_metrics(tmp_path / "metrics", stage, ds, data)
    run = load_run_metrics(datasets, tmp_path / "metrics")
    blocks = generated_blocks(run, PARAMS, json.loads((tmp_path / "metrics" / GRID_FILE).read_text()))
    # direct training 5 points under the converted SNN on the small fake test set: no verdict either way
    assert "MR −5.00 [−13.83, +3.83]" in blocks["direct"] and "so no difference is detectable" in blocks["direct"]
    assert "MR +10.00 [+0.99, +19.01]" in blocks["random-vectors"]
    assert "the pre-trained vectors better on MR and ChnSenti" in blocks["random-vectors"]
    assert (
        "**The target (a fair ratio with neuron updates ≤ 0.5 within 1.5 points on both datasets, chosen on dev) is "
        "met on dev by `T4`**" in blocks["target"]
    )
    assert "so the test set confirms it." in blocks["target"]
    assert "SNN (deterministic) +17.50 [−10.00, +45.00] points, no detectable difference" in blocks["robustness"]
    assert "is not borne out overall" in blocks["robustness"]


def test_blocks_of_a_grid_without_dev_numbers_name_the_older_selection(tmp_path):
    """A grid collected before the energy stage ran in its experiments: no profile is chosen on dev; the blocks
    quote the older pick (on test, the paper's formula) as such and say the grid must be re-run."""
    grid = fake_grid({"T50": (50, -0.005), "T4": (4, -0.01), "T8": (8, 0.0)}, dev=False)
    datasets = _fake_project(tmp_path, grid)
    blocks = generated_blocks(load_run_metrics(datasets, tmp_path / "metrics"), PARAMS, grid)
    assert blocks["target"].startswith("**Not judged on dev**")
    assert "the grid must be re-run" in blocks["target"] and "met by `T4`." in blocks["target"]
    assert blocks["profile-short"].endswith(
        "picked on test with the paper's formula before the grid recorded dev accuracy"
    )
    assert "re-run the grid for one chosen on dev" in blocks["profile"]
    assert "| **`T4`** |" in blocks["grid"] and "met on test, paper's formula" in blocks["grid"]
