"""How much of the rate code's loss on the Chinese datasets comes from out-of-vocabulary words?

The paper's OOV row is the shifted zero vector, about 0.5 in every dimension: under Bernoulli
coding the noisiest input there is, and 56-62% of ChnSenti/Waimai tokens are OOV with the offline
Chinese vectors (English: under 1%). This script measures, on the pipeline's own DNN checkpoints
and embedded data (run `dvc repro train_dnn` first), the tailored DNN on

  * its real-valued input,
  * rate-coded input (mean of T Bernoulli draws per value, what the SNN's first layer receives),
  * rate-coded input where OOV positions keep their exact rate (a noise-free OOV code),

averaged over several spike draws. With --retrain it also trains the DNN again (pipeline params,
one thread) with the OOV row replaced by zeros (`embed.oov: zero`) or by a fixed 0/1 pattern (rates
0 and 1 are exact under Bernoulli coding) and measures the same numbers, so one sees whether a
noise-free OOV code helps the SNN's ceiling or only lowers the DNN.

    PYTHONPATH=src python scripts/oov_noise_study.py chnsenti waimai [--retrain] > reports/oov_study.md
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import torch

from snntext.coding.rate import rate_code_mean
from snntext.core import paths
from snntext.core.params import load_config
from snntext.data.batching import embed
from snntext.data.embedded import load_embedded
from snntext.data.vocab import PAD_ID, UNK_ID
from snntext.models.checkpoint import load_checkpoint
from snntext.training.dnn import train_model


@torch.no_grad()
def accuracies(dnn, data, table: torch.Tensor, timesteps: int, draws: int) -> dict[str, float]:
    """Test and dev accuracy (%) on exact, rate-coded and rate-coded-with-exact-OOV input."""
    dnn.eval()
    out = {}
    for split in ("dev", "test"):
        part = data.split(split)
        rates = embed(part.ids, table)
        unknown = (part.ids == UNK_ID).unsqueeze(-1)
        out[f"{split} exact"] = 100 * float((dnn(rates).argmax(1) == part.labels).float().mean())
        coded, coded_exact_oov = [], []
        for draw in range(draws):
            generator = torch.Generator().manual_seed(draw)
            counts = rate_code_mean(rates, timesteps, generator)
            coded.append(float((dnn(counts).argmax(1) == part.labels).float().mean()))
            mixed = torch.where(unknown, rates, counts)
            coded_exact_oov.append(float((dnn(mixed).argmax(1) == part.labels).float().mean()))
        out[f"{split} rate-coded"] = 100 * sum(coded) / draws
        out[f"{split} rate-coded, exact OOV"] = 100 * sum(coded_exact_oov) / draws
    return out


def oov_row(kind: str, dim: int) -> torch.Tensor:
    if kind == "zero":
        return torch.zeros(dim)
    if kind == "binary":  # alternate dimensions always / never spike
        return (torch.arange(dim) % 2 == 0).float()
    raise ValueError(kind)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="+")
    parser.add_argument("--timesteps", type=int, default=50)
    parser.add_argument("--draws", type=int, default=3, help="spike draws averaged per number")
    parser.add_argument("--retrain", action="store_true", help="also retrain the DNN with a zero / 0-1 OOV row")
    parser.add_argument("--params", default="params.yaml")
    args = parser.parse_args()
    torch.set_num_threads(1)
    config = load_config(args.params)
    seed = config.run.seed
    columns = [
        "dev exact",
        "dev rate-coded",
        "dev rate-coded, exact OOV",
        "test exact",
        "test rate-coded",
        "test rate-coded, exact OOV",
    ]
    print(f"# OOV words and the rate code (T = {args.timesteps}, mean of {args.draws} spike draws)\n")
    print(
        'Accuracy (%) of the tailored DNN. "exact OOV": OOV positions fed their exact rate, all other '
        "inputs rate-coded. Written by `scripts/oov_noise_study.py`. DNNs trained with "
        f"`train_dnn.rate_code_steps` = {config.train_dnn.rate_code_steps} "
        "(0 = exact rates).\n"
    )
    print("| dataset | OOV share of tokens | OOV row the DNN was trained with | " + " | ".join(columns) + " | s |")
    print("|---" * (len(columns) + 4) + "|")
    for dataset in args.datasets:
        data = load_embedded(paths.embedded_dir(dataset))
        used = torch.cat([data.split(s).ids.flatten() for s in ("train", "dev", "test")])
        used = used[used != PAD_ID]
        share = f"{100 * float((used == UNK_ID).float().mean()):.1f}%"
        dnn, _ = load_checkpoint(paths.models_dir(dataset) / "dnn.pt")
        variants = [("pipeline's (`embed.oov` " + str(data.meta.get("oov", "?")) + ")", dnn, data)]
        if args.retrain:
            train_config = config.train_dnn.for_dataset(dataset)
            for kind in ("zero", "binary"):
                table = data.table.clone()
                table[UNK_ID] = oov_row(kind, table.shape[1])
                variants.append((kind, None, dataclasses.replace(data, table=table)))
        for label, model, variant in variants:
            start = time.perf_counter()
            if model is None:
                model, _, _ = train_model(
                    "tailored", variant, train_config, seed=seed, device=torch.device("cpu"), progress=False
                )
                label = f"{label} (retrained)"
            numbers = accuracies(model, variant, variant.table, args.timesteps, args.draws)
            print(
                f"| {dataset} | {share} | {label} | "
                + " | ".join(f"{numbers[c]:.2f}" for c in columns)
                + f" | {time.perf_counter() - start:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
