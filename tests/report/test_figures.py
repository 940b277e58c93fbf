"""The figures are real PNG images of a sensible size, written atomically, from the fake run's metrics."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from snntext.report.build import write_reports
from snntext.report.figures import ablation_curve, finetune_epochs
from tests.report.fake_metrics import FINETUNE_HISTORY, write_fake_run

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_png(path: Path) -> None:
    assert path.read_bytes()[:8] == PNG_MAGIC, path
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        width, height = image.size
    assert width >= 300 and height >= 200, (path, image.size)


def test_report_writes_four_valid_pngs_linked_from_the_markdown(tmp_path):
    datasets = write_fake_run(tmp_path / "metrics")
    write_reports(
        datasets,
        {"seed": 0},
        metrics_dir=tmp_path / "metrics",
        reports_dir=tmp_path / "reports",
        environment={"python": "x"},
    )
    figures = sorted((tmp_path / "reports" / "figures").iterdir())
    assert [p.name for p in figures] == [
        "accuracy_vs_timesteps.png",
        "dnn_training.png",
        "finetune_epochs.png",
        "firing_rates.png",
    ]  # no temp files left behind
    for path in figures:
        assert_png(path)
    markdown = (tmp_path / "reports" / "accuracy.md").read_text() + (tmp_path / "reports" / "energy.md").read_text()
    for path in figures:
        assert f"(figures/{path.name})" in markdown


def test_figures_are_reproducible(tmp_path):
    rows = [
        dict(zip(("epoch", "train_loss", "dev_acc", "seconds"), (float(v) if v else None for v in line.split(","))))
        for line in FINETUNE_HISTORY.splitlines()[1:]
    ]
    one = finetune_epochs({"mr": rows}, tmp_path / "a.png").read_bytes()
    two = finetune_epochs({"mr": rows}, tmp_path / "b.png").read_bytes()
    assert one == two


def test_ablation_curve_with_secondary_axis(tmp_path):
    path = ablation_curve(
        {"mr": [(1.0, 0.75), (0.5, 0.7), (2.0, 0.6)]},
        tmp_path / "abl.png",
        xlabel="threshold",
        ylabel="test accuracy (%)",
        title="t",
        secondary={"mr": [(0.5, 0.2), (1.0, 0.1), (2.0, 0.05)]},
        secondary_label="active neurons",
    )
    assert_png(path)
