"""The paper's directly-trained SNN baseline: the same SpikingTextCNN, trained from random initialisation.

Without it a reader cannot tell what conversion buys: the authors' code has this mode ("train" with
model_mode "snn", configs with beta 0.95). The network starts from PyTorch's default initialisation (no
DNN), sees the same Bernoulli input spikes and is trained with surrogate gradients through all T steps by
the fine-tuning loop (snntext.training.finetuning; no teacher; conv filters kept at zero weight-sum as the DNN's are,
since without it the first epoch drove the convolutions silent on MR), selected on dev. Its budget
(direct.epochs at the top-level T) is far below the authors' 80-400 epochs: the metrics record the
seconds it took, so the row says what it cost.
"""

from __future__ import annotations

from snntext.coding.input_codes import spike_code
from snntext.core.config import Config, FinetuneConfig
from snntext.data.embedded import EmbeddedData
from snntext.models.spiking import SpikingTextCNN


def direct_finetune_config(config: Config) -> FinetuneConfig:
    """The fine-tuning loop's settings for training from scratch (the `direct` params section)."""
    direct = config.direct
    shared = ("epochs", "lr", "weight_decay", "batch_size", "loss", "temperature", "patience", "zero_sum_filters")
    return FinetuneConfig(
        **{key: getattr(direct, key) for key in (*shared, "dev_draws")},
        timesteps=config.encoding.timesteps,
        eval_batch_size=config.convert.eval_batch_size,
        test_draws=config.finetune.test_draws,
    )


def build_direct_snn(data: EmbeddedData, config: Config, seed: int) -> SpikingTextCNN:
    """A randomly initialised SpikingTextCNN of the tailored DNN's shape (train_dnn's kernels and filters),
    reading spikes under the table's input code (rate, or latency for embed.code latency)."""
    from snntext.core.device import seed_everything

    seed_everything(seed)
    neuron, shape = config.neuron, config.train_dnn
    return SpikingTextCNN(
        embedding_dim=data.embedding_dim,
        num_classes=data.num_classes,
        neurons_per_class=shape.neurons_per_class,
        kernel_sizes=shape.kernel_sizes,
        filters=shape.filters,
        threshold=neuron.threshold,
        beta=config.direct.beta,
        surrogate=neuron.surrogate,
        surrogate_slope=neuron.surrogate_slope,
        input_code=spike_code(data.meta.get("code", "shift")),
    )


def run_direct_training(
    dataset: str, data: EmbeddedData, config: Config, device, log=print
) -> tuple[SpikingTextCNN, dict]:
    """Train from scratch, evaluate dev/test and the test set over finetune.test_draws spike draws; returns
    the best-dev network and the stage's metrics."""
    from snntext.evaluation.paired_gap import draw_seeds, snn_correct_over_draws
    from snntext.training.finetuning import finetune_over_seeds

    seed, tune = config.run.seed, direct_finetune_config(config)
    runs = finetune_over_seeds(build_direct_snn(data, config, seed), data, tune, [seed], device, log=log)
    snn, result, report = runs.model, runs.result, runs.report
    seconds = result.history[-1]["seconds"]  # training, with its dev evaluations
    test = data.test
    correct = snn_correct_over_draws(
        snn,
        test.ids,
        test.labels,
        data.table,
        timesteps=tune.timesteps,
        seeds=draw_seeds(seed, tune.test_draws),
        known={seed: runs.test_predictions},
        batch_size=tune.eval_batch_size,
        device=device,
    )
    per_draw = correct.mean(dim=1).double()
    epochs_run = len(result.history) - 1
    metrics = {
        "dev_acc": report["dev"]["accuracy"],
        "test_acc": report["test"]["accuracy"],
        "test_mean": float(per_draw.mean()),
        "test_std": float(per_draw.std()) if len(per_draw) > 1 else 0.0,
        "test_acc_per_draw": [float(a) for a in per_draw],
        "test_draws": len(per_draw),
        "best_epoch": result.best_epoch,
        "epochs_run": epochs_run,
        "timesteps": tune.timesteps,
        "beta": config.direct.beta,
        "loss": tune.loss,
        "seconds": round(seconds, 1),
        "seconds_per_epoch": round(seconds / max(epochs_run, 1), 2),
        "history": result.history,  # the stage writes it as <dataset>_history.csv
        "energy_ratio_snn_to_dnn": report["energy"]["ratio_snn_to_dnn"],
        "energy_uj": report["energy"]["total_uj"],
        "test": report["test"],
        "dev": report["dev"],
    }
    log(
        f"direct {dataset}: dev {metrics['dev_acc']:.4f} test over {len(per_draw)} draws {metrics['test_mean']:.4f} "
        f"(epoch {result.best_epoch} of {epochs_run}, {seconds:.0f} s)"
    )
    return snn, metrics
