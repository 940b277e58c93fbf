"""What the vendor-free kernel choice (issue 32.1) costs at the pipeline's real sizes.

Runs, in a fresh interpreter per variant (each library reads its variable once), the tailored DNN's
training for a few epochs and one epoch of SNN fine-tuning (T = 50) on an embedded dataset that the
pipeline built (data/embedded/<dataset>), and prints seconds per variant and a weight hash, so that the
speed cost of each pin is measured where the pipeline spends its time, not on the golden test's toy sizes.

    PYTHONPATH=src python benchmarks/vendor_free_kernels.py --dataset mr --train 2000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

VARIANTS = {
    # name: (environment, oneDNN enabled)
    "avx2 (before)": ({"MKL_CBWR": "AVX2"}, True),
    "compatible": ({"MKL_CBWR": "COMPATIBLE"}, True),
    "onednn off": ({"MKL_CBWR": "AVX2"}, False),
    "compatible + onednn off": ({"MKL_CBWR": "COMPATIBLE"}, False),
}


def child(dataset: str, train: int, epochs: int, onednn: bool, threads: int) -> dict:
    from snntext.core.cpu_kernels import pin_portable_cpu_kernels

    pin_portable_cpu_kernels()
    import torch

    torch.set_num_threads(threads)
    torch.backends.mkldnn.enabled = onednn
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
    from golden_training import weights_sha256

    from snntext.core import paths
    from snntext.core.config import FinetuneConfig, TrainConfig
    from snntext.data.embedded import Split, load_embedded
    from snntext.training.conversion import convert
    from snntext.training.dnn import activation_statistics, train_model
    from snntext.training.finetuning import finetune

    data = load_embedded(paths.embedded_dir(dataset))
    data.train = Split(data.train.ids[:train], data.train.labels[:train])
    cfg = TrainConfig(epochs=epochs, lr=1e-3, weight_decay=1e-3, batch_size=32, patience=0, dropout=0.5,
                      kernel_sizes=(3, 4, 5), filters=100, zero_sum_filters=True, rate_code_steps=50,
                      neurons_per_class=10)  # fmt: skip
    start = time.perf_counter()
    dnn, _, _ = train_model("tailored", data, cfg, seed=0, device="cpu", progress=False)
    dnn_seconds = time.perf_counter() - start
    stats = activation_statistics(dnn, data.train.ids, data.table, 64, "cpu")
    snn = convert(dnn, "data_p99.9", stats, threshold=1.0, beta=1.0)
    tune = FinetuneConfig(epochs=1, lr=1e-3, batch_size=32, timesteps=50, zero_sum_filters=True, loss="count")
    start = time.perf_counter()
    finetune(snn, data.train.ids[: train // 4], data.train.labels[: train // 4], data.dev.ids[:200],
             data.dev.labels[:200], data.table, tune, seed=0, device="cpu", log=lambda message: None)  # fmt: skip
    snn_seconds = time.perf_counter() - start
    return {"dnn_seconds": round(dnn_seconds, 2), "snn_seconds": round(snn_seconds, 2),
            "dnn": weights_sha256(dnn)[:12], "snn": weights_sha256(snn)[:12]}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="mr")
    parser.add_argument("--train", type=int, default=2000, help="training sentences (fine-tuning uses a quarter)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.dataset, args.train, args.epochs, args.child == "1", args.threads)))
        return
    print(f"{'variant':<26} {'DNN s':>7} {'SNN s':>7}  dnn hash      snn hash")
    for name, (env, onednn) in VARIANTS.items():
        out = subprocess.run(
            [sys.executable, __file__, "--child", "1" if onednn else "0", "--dataset", args.dataset,
             "--train", str(args.train), "--epochs", str(args.epochs), "--threads", str(args.threads)],
            env={**os.environ, **env}, capture_output=True, text=True, check=True,
        )  # fmt: skip
        row = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{name:<26} {row['dnn_seconds']:>7} {row['snn_seconds']:>7}  {row['dnn']}  {row['snn']}", flush=True)


if __name__ == "__main__":
    main()
