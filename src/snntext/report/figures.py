"""The paper's figures, regenerated as PNG from the metrics (matplotlib, headless Agg backend).

Each plot function takes plain data (parsed metrics) and a path, and writes the PNG atomically
(temp file in the same folder, then rename). One colour per dataset; line style per network.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import LogLocator, MaxNLocator, NullFormatter, ScalarFormatter

from snntext.core.atomic import atomic_path
from snntext.report.markdown import LAYER_ORDER, display

# tab10 is a ListedColormap (RGB tuples); matplotlib types get_cmap's result as the base Colormap
COLOURS: tuple[tuple[float, float, float], ...] = plt.get_cmap("tab10").colors  # type: ignore[attr-defined]
_SAVE = dict(format="png", dpi=110, metadata={"Software": None})


def colour(index: int):
    return COLOURS[index % len(COLOURS)]


def save_png(fig, path: str | Path) -> Path:
    """Write the figure to `path` atomically and close it."""
    path = Path(path)
    try:
        with atomic_path(path) as temp:
            fig.savefig(temp, **_SAVE)
    finally:
        plt.close(fig)
    return path


def _grid(count: int):
    cols = min(3, count)
    rows = (count + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.3 * rows), squeeze=False)
    for ax in axes.flat[count:]:
        ax.set_visible(False)
    return fig, list(axes.flat)


def accuracy_vs_timesteps(
    sweeps: dict[str, dict], dnn_test_acc: dict[str, float], path: str | Path, split: str = "test"
) -> Path:
    """Paper figure 5: accuracy vs T at inference, converted vs fine-tuned SNN, per dataset (DNN dashed)."""
    fig, axes = _grid(len(sweeps))
    for ax, (ds, sweep) in zip(axes, sweeps.items()):
        for model, style, label in (
            ("converted", "--", "converted (no fine-tuning)"),
            ("finetuned", "-", "fine-tuned"),
        ):
            entry = sweep["models"].get(model, {}).get(split)
            if not entry:
                continue
            points = sorted((int(t), p["accuracy"] * 100) for t, p in entry["points"].items())
            ax.plot(
                [t for t, _ in points],
                [a for _, a in points],
                style,
                marker="o",
                ms=3,
                color=colour(0 if model == "finetuned" else 1),
                label=label,
            )
        coded = sweep.get("dnn_rate_coded", {}).get(split)
        if coded:
            points = sorted((int(t), a * 100) for t, a in coded.items())
            ax.plot(
                [t for t, _ in points],
                [a for _, a in points],
                "-.",
                color="grey",
                lw=1,
                label="DNN on rate-coded input",
            )
        if ds in dnn_test_acc:
            ax.axhline(dnn_test_acc[ds] * 100, color="grey", ls=":", lw=1, label="tailored DNN")
        ax.set_title(display(ds))
        ax.set_xlabel("time steps T at inference")
        ax.set_ylabel(f"{split} accuracy (%)")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle("Accuracy vs number of time steps (inference only)")
    fig.tight_layout()
    return save_png(fig, path)


def finetune_epochs(histories: dict[str, list[dict]], path: str | Path) -> Path:
    """Paper figure 4a: dev accuracy vs fine-tuning epoch (epoch 0 = the converted SNN), one colour per dataset."""
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for i, (ds, rows) in enumerate(histories.items()):
        ax.plot(
            [r["epoch"] for r in rows],
            [r["dev_acc"] * 100 for r in rows],
            marker="o",
            ms=3,
            color=colour(i),
            label=display(ds),
        )
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("fine-tuning epoch (0 = converted, before fine-tuning)")
    ax.set_ylabel("dev accuracy (%)")
    ax.set_title("SNN accuracy during surrogate-gradient fine-tuning")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return save_png(fig, path)


def dnn_training(histories: dict[str, list[dict]], path: str | Path) -> Path:
    """DNN training curves: dev accuracy and training loss per epoch; solid = tailored DNN, dashed = Kim."""
    fig, (acc_ax, loss_ax) = plt.subplots(1, 2, figsize=(11, 4.2))
    for i, (ds, rows) in enumerate(histories.items()):
        for model, style in (("dnn", "-"), ("kim", "--")):
            part = [r for r in rows if r["model"] == model]
            if not part:
                continue
            label = f"{display(ds)} {'tailored' if model == 'dnn' else 'Kim'}"
            acc_ax.plot(
                [r["epoch"] for r in part], [r["dev_acc"] * 100 for r in part], style, color=colour(i), label=label
            )
            losses = [(r["epoch"], r["train_loss"]) for r in part if r["train_loss"] is not None]
            loss_ax.plot([e for e, _ in losses], [v for _, v in losses], style, color=colour(i), label=label)
    acc_ax.set(xlabel="epoch", ylabel="dev accuracy (%)", title="DNN dev accuracy")
    loss_ax.set(xlabel="epoch", ylabel="training loss (cross-entropy)", title="DNN training loss")
    for ax in (acc_ax, loss_ax):
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    loss_ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return save_png(fig, path)


def firing_rates(rates: dict[str, dict[str, dict[str, float]]], path: str | Path) -> Path:
    """Firing rate per layer: one panel per network (e.g. converted, fine-tuned), one bar colour per dataset.

    rates: dataset -> network -> layer -> share of neuron-steps that spiked."""
    networks = list(dict.fromkeys(n for per in rates.values() for n in per))
    layers = [l for l in LAYER_ORDER if any(l in r for per in rates.values() for r in per.values())]
    fig, axes = plt.subplots(1, len(networks), figsize=(6 * len(networks), 4.2), squeeze=False, sharey=True)
    width = 0.8 / max(len(rates), 1)
    for ax, network in zip(axes[0], networks):
        for i, (ds, per) in enumerate(rates.items()):
            values = [per.get(network, {}).get(l, 0.0) * 100 for l in layers]
            ax.bar(
                [x + (i - (len(rates) - 1) / 2) * width for x in range(len(layers))],
                values,
                width,
                color=colour(i),
                label=display(ds),
            )
        ax.set_xticks(range(len(layers)), layers)
        ax.set(xlabel="layer", title=f"{network} SNN")
        ax.grid(alpha=0.3, axis="y")
    axes[0][0].set_ylabel("firing rate (% of neuron-steps)")
    axes[0][0].legend(fontsize=8)
    fig.suptitle("Firing rate per layer (test split)")
    fig.tight_layout()
    return save_png(fig, path)


def ablation_curve(
    series: dict[str, list[tuple[float, float]]],
    path: str | Path,
    *,
    xlabel: str,
    ylabel: str,
    title: str,
    percent: bool = True,
    secondary: dict[str, list[tuple[float, float]]] | None = None,
    secondary_label: str = "",
) -> Path:
    """A metric vs one swept parameter, one line per dataset; optional second metric on a right axis (dashed)."""
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    scale = 100 if percent else 1
    for i, (ds, points) in enumerate(series.items()):
        points = sorted(points)
        ax.plot([x for x, _ in points], [y * scale for _, y in points], marker="o", color=colour(i), label=display(ds))
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.grid(alpha=0.3)
    if secondary:
        right = ax.twinx()
        for i, (ds, points) in enumerate(secondary.items()):
            points = sorted(points)
            right.plot(
                [x for x, _ in points],
                [y * 100 for _, y in points],
                "--",
                marker="s",
                ms=3,
                color=colour(i),
                label=f"{display(ds)} ({secondary_label})",
            )
        right.set_ylabel(f"{secondary_label} (%)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return save_png(fig, path)


def energy_frontier(
    series: dict[str, dict],
    path: str | Path,
    *,
    default: str = "default",
    target_ratio: float = 0.5,
    target_gap: float = 1.5,
) -> Path:
    """Test accuracy against energy per sentence, per dataset: the DNN, every SNN setting (error bar:
    std over spike draws), the default setting hollow, the setting selected on dev (a series' `selected`)
    ringed in red, the non-dominated points joined; the target region (ratio <= target_ratio, within
    target_gap points of the DNN) shaded."""
    fig, axes = _grid(len(series))
    for ax, (ds, s) in zip(axes, series.items()):
        dnn = s["dnn"]
        ax.axvspan(0, target_ratio * dnn["energy_uj"], ymin=0, ymax=1, color="0.92", zorder=0)
        ax.axhline(100 * dnn["accuracy"] - target_gap, color="0.6", lw=0.8, ls=":")
        ax.plot(
            [dnn["energy_uj"]], [100 * dnn["accuracy"]], "*", ms=11, color=colour(3), label="tailored DNN", zorder=3
        )
        for p in s["snn"]:
            ax.errorbar(
                [p["energy_uj"]],
                [100 * p["accuracy"]],
                yerr=[100 * p["std"]],
                fmt="o",
                ms=4,
                color=colour(0),
                mfc="white" if p["name"] == default else colour(0),
                capsize=2,
                zorder=2,
            )
            ax.annotate(
                p["name"], (p["energy_uj"], 100 * p["accuracy"]), textcoords="offset points", xytext=(3, 3), fontsize=6
            )
            if p["name"] == s.get("selected"):
                ax.plot(
                    [p["energy_uj"]],
                    [100 * p["accuracy"]],
                    "o",
                    ms=10,
                    mfc="none",
                    mec="red",
                    mew=1.2,
                    label="selected on dev",
                    zorder=4,
                )
        front = s["front"]
        ax.plot(
            [p["energy_uj"] for p in front],
            [100 * p["accuracy"] for p in front],
            "-",
            lw=1,
            color=colour(2),
            label="frontier",
            zorder=1,
        )
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_title(display(ds), fontsize=9)
        ax.set_xlabel("energy per sentence (µJ)", fontsize=8)
        ax.set_ylabel("test accuracy (%)", fontsize=8)
        ax.tick_params(labelsize=7)
    if series:
        axes[0].legend(fontsize=7, loc="lower right")
    fig.suptitle(
        f"SNN settings against the DNN (shaded: at most {target_ratio:g}x its energy; dotted: "
        f"{target_gap:g} points below it)",
        fontsize=9,
    )
    fig.tight_layout()
    return save_png(fig, path)
