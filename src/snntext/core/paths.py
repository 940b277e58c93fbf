"""Every path the pipeline reads or writes, in one place.

Stages never build paths from fragments of their own: they ask here, so a reader
can find where any file comes from by following names.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(os.environ.get("SNNTEXT_ROOT", Path(__file__).resolve().parents[3]))

PARAMS_FILE = PROJECT_ROOT / "params.yaml"
SOURCES_FILE = Path(__file__).resolve().parent / "sources.yaml"
USER_DATASETS_FILE = PROJECT_ROOT / "datasets.yaml"  # the user's own datasets, read beside SOURCES_FILE
DATASETS_LOCK = PROJECT_ROOT / "datasets.lock"  # sha256 of its local `path` files, recorded on first use

DATA_DIR = PROJECT_ROOT / "data"
RAW_DIR = DATA_DIR / "raw"  # written only by the download stages:
#   raw/<dataset>/<group>/<file>   each dataset's files, in the mirror's own layout
#   raw/vectors/<vector-name>/     the members extracted from a vector archive
#   raw/resources/<group>/<file>   NLTK stopwords, WordNet lexnames (attack stage)
DOWNLOAD_CACHE = PROJECT_ROOT / ".cache" / "downloads"  # verified archives (<group>/<file>), kept out of DVC
PREPARED_DIR = DATA_DIR / "prepared"  # <dataset>/{train,dev,test}.tsv
EMBEDDED_DIR = DATA_DIR / "embedded"  # <dataset>/{ids.npz,table.npy,vocab.txt,meta.json}
MODELS_DIR = DATA_DIR / "models"  # <dataset>/{kim,dnn,snn_converted,snn}.pt
METRICS_DIR = PROJECT_ROOT / "metrics"  # <stage>/<dataset>.json (headline) and <dataset>_detail.json, committed
PARAMS_CHECKED = DATA_DIR / "params_checked.txt"  # the check_params stage's constant output
REPORTS_DIR = PROJECT_ROOT / "reports"


def raw_file(group: str, name: str) -> Path:
    """A downloaded file in the mirror layout <group>/<file> (under RAW_DIR by default)."""
    return RAW_DIR / group / name


def raw_dataset_dir(dataset: str) -> Path:
    """A dataset's own raw folder; inside it, files keep the mirror layout <group>/<file>."""
    return RAW_DIR / dataset


def vectors_dir(vector_name: str) -> Path:
    return RAW_DIR / "vectors" / vector_name


RESOURCES_DIR = RAW_DIR / "resources"


def prepared_dir(dataset: str) -> Path:
    return PREPARED_DIR / dataset


def embedded_dir(dataset: str) -> Path:
    return EMBEDDED_DIR / dataset


def models_dir(dataset: str) -> Path:
    return MODELS_DIR / dataset


def metrics_file(stage: str, dataset: str) -> Path:
    return METRICS_DIR / stage / f"{dataset}.json"


def history_file(stage: str, dataset: str) -> Path:
    """Per-epoch history CSV of a training stage (a DVC plot)."""
    return METRICS_DIR / stage / f"{dataset}_history.csv"


def attack_dir(dataset: str) -> Path:
    """data/attack/<dataset>/: the successful adversarial examples, one CSV per model x recipe."""
    return DATA_DIR / "attack" / dataset
