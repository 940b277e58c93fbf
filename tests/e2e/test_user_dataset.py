"""A new dataset by configuration alone: a tiny fixture dataset declared only in the project's
datasets.yaml (a local `path` file in "<label> <text>" lines, train and test files, no dev, one
line holding only a label) runs through download -> prepare -> embed -> train_dnn -> convert, each
stage script run as DVC would run it, in a scratch project root (SNNTEXT_ROOT) with tiny 50-d
stand-in vectors for glove-6b-50d. No Python of the project is edited for it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from tests.e2e.tiny_project import EN_FILL, EN_NEG, EN_POS
from tests.params_helper import write_params

ROOT = Path(__file__).resolve().parents[2]
USER_DATASETS = {
    "datasets": {
        "tinyq": {
            "display_name": "Tiny Q",
            "language": "en",
            "format": "label_first",
            "labels": ["neg", "pos"],
            "max_len": 10,
            "files": [
                {"path": "data/external/tinyq.train", "split": "train"},
                {"path": "data/external/tinyq.test", "split": "test"},
            ],
        }
    }
}
SMALL = {
    "epochs": 6,
    "patience": 0,
    "batch_size": 16,
    "lr": 1.0e-2,
    "weight_decay": 0.0,
    "dropout": 0.1,
    "kernel_sizes": [2, 3],
    "filters": 8,
}


def lines(rng, n: int) -> str:
    out = []
    for i in range(n):
        label = i % 2
        pool = EN_POS if label else EN_NEG
        words = [
            pool[rng.integers(len(pool))] if rng.random() < 0.75 else EN_FILL[rng.integers(len(EN_FILL))]
            for _ in range(int(rng.integers(4, 9)))
        ]
        out.append(f"{['neg', 'pos'][label] if i % 3 else label} {' '.join(words)}\n")
    return "".join(out)


def build_project(root: Path) -> None:
    rng = np.random.default_rng(0)
    external = root / "data" / "external"
    external.mkdir(parents=True)
    (external / "tinyq.train").write_text(lines(rng, 160) + "pos\n", encoding="utf-8")  # a label-only line
    (external / "tinyq.test").write_text(lines(rng, 40), encoding="utf-8")
    (root / "datasets.yaml").write_text(yaml.safe_dump(USER_DATASETS, sort_keys=False), encoding="utf-8")
    vectors = root / "data" / "raw" / "vectors" / "glove-6b-50d"  # what download --vectors leaves
    vectors.mkdir(parents=True)
    words = EN_POS + EN_NEG + EN_FILL
    np.save(vectors / "glove_6B_50d_emb.npy", rng.normal(0, 0.4, (len(words), 50)).astype(np.float32))
    pd.DataFrame({"index": words}).to_parquet(vectors / "glove_6B_index.parquet")
    write_params(
        root / "params.yaml",
        {
            "datasets": ["tinyq"],
            "device": "cpu",
            "neurons_per_class": 2,
            "timesteps": 8,
            "prepare.dev_fraction": 0.25,
            "embed.compare": [],
            "train_dnn.rate_code_steps": 8,
            **{f"{section}.{k}": v for section in ("train_dnn", "kim") for k, v in SMALL.items()},
        },
    )


def stage(root: Path, name: str, *args: str) -> str:
    env = {**os.environ, "SNNTEXT_ROOT": str(root), "PYTHONPATH": str(ROOT / "src")}
    env.pop("SNNTEXT_MIRROR", None)
    done = subprocess.run(
        [sys.executable, str(ROOT / "stages" / f"{name}.py"), *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"{name}: {done.stderr[-3000:]}"
    return done.stdout + done.stderr


def test_a_dataset_declared_only_in_datasets_yaml_runs_to_conversion(tmp_path, monkeypatch):
    root = tmp_path / "project"
    build_project(root)
    stage(root, "check_params")
    out = stage(root, "download", "tinyq")
    assert "first use; sha256" in out
    assert set(yaml.safe_load((root / "datasets.lock").read_text())["tinyq"]) == {
        "tinyq/tinyq.train",
        "tinyq/tinyq.test",
    }
    out = stage(root, "prepare", "tinyq")
    assert "prepare tinyq: train 120, dev 40, test 40 (dev_from_train); dropped {'label_only': 1}" in out
    prepared = json.loads((root / "metrics" / "prepare" / "tinyq.json").read_text())
    assert prepared["split_source"] == "dev_from_train" and prepared["dropped"] == {"label_only": 1}
    assert prepared["splits"]["dev"]["per_label"] == {"neg": 20, "pos": 20}
    stage(root, "embed", "tinyq")
    assert json.loads((root / "data" / "embedded" / "tinyq" / "meta.json").read_text())["vectors"] == "glove-6b-50d"
    stage(root, "train_dnn", "tinyq")
    dnn = json.loads((root / "metrics" / "train_dnn" / "tinyq.json").read_text())
    assert dnn["dnn_dev_acc"] > 0.7, dnn  # the tiny task is learnable
    stage(root, "convert", "tinyq")
    assert (root / "data" / "models" / "tinyq" / "snn_converted.pt").is_file()
    assert 0 <= json.loads((root / "metrics" / "convert" / "tinyq.json").read_text())["test_acc"] <= 1

    # reports show the registry's display name
    from snntext.core import paths
    from snntext.report.markdown import display

    monkeypatch.setattr(paths, "USER_DATASETS_FILE", root / "datasets.yaml")
    assert display("tinyq") == "Tiny Q" and display("mr") == "MR"
