"""The embed step: a prepared dataset becomes word ids plus one table of firing rates.

Output folder data/embedded/<dataset>/ (paths.embedded_dir):
  ids.npz    train_ids, dev_ids, test_ids (int32 [N, max_len], 0 = padding, 1 = unknown)
             and train_labels, dev_labels, test_labels (int64 [N])
  table.npy  float32 [V, D] rates in [0, 1]: row 0 padding (zeros), row 1 unknown word
             (per embed.oov), row i >= 2 the shifted vector of vocab token i; [V, 2D] under
             embed.code signed or latency, with embed.dead_zone (snntext.coding.input_codes)
  vocab.txt  the token of row i on line i ("<pad>", "<unk>", then words)
  meta.json  vector name, dim, global mean/std of the pre-trained table, clip, oov policy,
             max_len, vocab size, language (and "code" when it is not the shift, "dead_zone" when > 0)
The vocabulary is every token of all three splits that has a vector: the vectors are fixed
and public, so including test words leaks no labels, and the attack needs their rows.
Spike trains are made from the table when a network runs (snntext.coding.spike_codes), never stored.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import numpy as np

from snntext.coding.input_codes import apply_input_code
from snntext.coding.shift import table_statistics
from snntext.core import paths
from snntext.core.atomic import write_bytes_atomic
from snntext.core.config import SPLITS, EmbedConfig
from snntext.core.errors import SnntextError
from snntext.data.vectors import coverage, load_vectors, vectors_dir
from snntext.data.vocab import PAD_ID, UNK_ID, build_dataset_table, build_vocab, encode_ids, vocab_index


def embed_splits(
    texts: dict[str, list[str]],
    labels: dict[str, np.ndarray],
    *,
    language: str,
    max_len: int,
    kv,
    clip_sigma: float,
    oov: str,
    tokenise: Callable[[str, str], list[str]],
    compare: dict[str, object] | None = None,
    code: str = "shift",
    dead_zone: float = 0.0,
) -> dict:
    """Tokenise, build vocab/table/ids and measure coverage; returns everything to write.

    compare: extra vector name -> KeyedVectors (measured) or a str (why it was skipped).
    """
    tokens = {split: [tokenise(text, language) for text in texts[split]] for split in SPLITS}
    everything = [t for split in SPLITS for t in tokens[split]]
    mean, std = table_statistics(kv.vectors)
    vocab = build_vocab(everything, kv.key_to_index)
    shifted = build_dataset_table(vocab, kv, mean, std, clip_sigma, oov)
    table = apply_input_code(shifted, code, dead_zone=dead_zone, clip_sigma=clip_sigma)
    index = vocab_index(vocab)
    arrays: dict[str, np.ndarray] = {}
    for split in SPLITS:
        arrays[f"{split}_ids"] = encode_ids(tokens[split], index, max_len)
        arrays[f"{split}_labels"] = np.asarray(labels[split], dtype=np.int64)
    all_ids = np.concatenate([arrays[f"{s}_ids"] for s in SPLITS])
    used = all_ids[all_ids != PAD_ID]
    lengths = np.array([len(t) for t in everything], dtype=np.int64)
    metrics = {
        "coverage": coverage(everything, kv),
        "oov_rate": float((used == UNK_ID).mean()) if used.size else 0.0,
        "truncated_share": float((lengths > max_len).mean()) if lengths.size else 0.0,
        "sentences": {split: len(tokens[split]) for split in SPLITS},
        "vocab_size": len(vocab),
        "table_mean": float(table[2:].mean(dtype=np.float64)) if len(vocab) > 2 else 0.0,
        "mean_input_rate": float(table[used].mean(dtype=np.float64)) if used.size else 0.0,
        "compare": {
            name: coverage(everything, other) if not isinstance(other, str) else {"skipped": other}
            for name, other in (compare or {}).items()
        },
    }
    meta = {
        "dim": int(table.shape[1]),
        "global_mean": mean,
        "global_std": std,
        "clip_sigma": clip_sigma,
        "oov": oov,
        "max_len": max_len,
        "vocab_size": len(vocab),
        "language": language,
    }
    if code != "shift":  # absent = shift, so the paper-faithful outputs keep their bytes
        meta["code"] = metrics["input_code"] = code
    if dead_zone > 0:
        meta["dead_zone"] = metrics["dead_zone"] = dead_zone
    return {"arrays": arrays, "table": table, "vocab": vocab, "meta": meta, "metrics": metrics}


def _json_bytes(data: dict) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write_embedded(result: dict, out_dir: Path, metrics_path: Path) -> None:
    """Write ids.npz, table.npy, vocab.txt, meta.json and the metrics JSON, each atomically."""
    out_dir = Path(out_dir)
    buffer = io.BytesIO()
    np.savez(buffer, **result["arrays"])
    write_bytes_atomic(out_dir / "ids.npz", buffer.getvalue())
    buffer = io.BytesIO()
    np.save(buffer, result["table"], allow_pickle=False)
    write_bytes_atomic(out_dir / "table.npy", buffer.getvalue())
    bad = [token for token in result["vocab"] if "\n" in token or "\r" in token]
    if bad:
        raise ValueError(f"write_embedded: vocabulary tokens with line breaks cannot go in vocab.txt: {bad[:3]!r}")
    write_bytes_atomic(out_dir / "vocab.txt", "".join(f"{token}\n" for token in result["vocab"]).encode("utf-8"))
    write_bytes_atomic(out_dir / "meta.json", _json_bytes(result["meta"]))
    write_bytes_atomic(Path(metrics_path), _json_bytes(result["metrics"]))


def read_embedded(folder: str | Path) -> dict:
    """What write_embedded wrote: {"arrays": {name: array}, "table", "vocab", "meta"}."""
    folder = Path(folder)
    names = ("ids.npz", "table.npy", "vocab.txt", "meta.json")
    for name in names:
        if not (folder / name).is_file():
            raise SnntextError(f"{folder / name}: embedded dataset missing; run the embed stage (dvc repro embed)")
    with np.load(folder / "ids.npz", allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    vocab = (folder / "vocab.txt").read_text(encoding="utf-8").split("\n")[:-1]
    return {
        "arrays": arrays,
        "table": np.load(folder / "table.npy", allow_pickle=False),
        "vocab": vocab,
        "meta": json.loads((folder / "meta.json").read_text(encoding="utf-8")),
    }


def _compare_vectors(specs, language: str, chosen: str, kv) -> dict[str, object]:
    """Load each extra vector set, or say why it is skipped (other language, not downloaded)."""
    out: dict[str, object] = {}
    for spec in specs:
        if spec.name == chosen:
            out[spec.name] = kv
        elif spec.language != language:
            out[spec.name] = f"language {spec.language}, dataset is {language}"
        else:
            folder = vectors_dir(spec.name)
            missing = [
                str(folder / PurePosixPath(m).name)
                for m in spec.members.values()
                if not (folder / PurePosixPath(m).name).is_file()
            ]
            out[spec.name] = f"not downloaded ({', '.join(missing)} missing)" if missing else load_vectors(spec, folder)
    return out


def run_embed(dataset: str, settings: EmbedConfig, registry=None, tokenise=None) -> dict:
    """The embed stage for one dataset: read prepared TSVs and vectors, write outputs; returns metrics."""
    from snntext.core.registry import load_registry
    from snntext.data.datasets import read_prepared

    if tokenise is None:
        from snntext.data.tokenise import tokenise
    registry = registry or load_registry()
    spec = registry.dataset(dataset)
    name = settings.vectors_for(spec.language)
    vector_spec = registry.vector(name)
    if vector_spec.language != spec.language:
        raise SnntextError(
            f"embed: vector set {name!r} is '{vector_spec.language}', dataset {dataset!r} is "
            f"'{spec.language}'; set embed.english / embed.chinese in params.yaml"
        )
    frames = read_prepared(paths.prepared_dir(dataset))
    kv = load_vectors(vector_spec)
    compare = _compare_vectors([registry.vector(n) for n in settings.compare], spec.language, name, kv)
    result = embed_splits(
        {s: frames[s]["text"].tolist() for s in SPLITS},
        {s: frames[s]["label"].to_numpy() for s in SPLITS},
        language=spec.language,
        max_len=spec.max_len,
        kv=kv,
        clip_sigma=settings.clip_sigma,
        oov=settings.oov,
        tokenise=tokenise,
        compare=compare,
        code=settings.code,
        dead_zone=settings.dead_zone,
    )
    result["meta"] = {"vectors": name, **result["meta"]}
    result["metrics"] = {"vectors": name, "oov_policy": settings.oov, **result["metrics"]}
    write_embedded(result, paths.embedded_dir(dataset), paths.metrics_file("embed", dataset))
    return result["metrics"]
