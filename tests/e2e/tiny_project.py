"""Builds a tiny, learnable copy of the project's inputs: two datasets (English, Chinese),
two vector files, a mirror holding them and a registry pointing at it.

The sentences draw their words from class-specific pools, so a network trained for a
few epochs on random vectors separates them; that makes the end-to-end run meaningful
(accuracies above chance) while taking seconds per stage.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import yaml

EN_POS = ["good", "great", "fine", "superb", "lovely", "moving", "bright", "warm", "clever", "rich"]
EN_NEG = ["bad", "dull", "awful", "weak", "boring", "flat", "grim", "cold", "stupid", "thin"]
EN_FILL = ["the", "film", "a", "movie", "is", "and", "of", "it", "plot", "story"]
ZH_POS = ["好吃", "满意", "干净", "舒服", "推荐", "方便", "热情", "新鲜"]
ZH_NEG = ["难吃", "失望", "肮脏", "糟糕", "太慢", "冷漠", "昂贵", "差劲"]
ZH_FILL = ["酒店", "外卖", "服务", "房间", "味道", "送餐"]


def _sentences(rng, pos, neg, fill, n, sep):
    rows = []
    for i in range(n):
        label = i % 2
        pool = pos if label else neg
        length = int(rng.integers(4, 10))
        words = [
            pool[rng.integers(len(pool))] if rng.random() < 0.75 else fill[rng.integers(len(fill))]
            for _ in range(length)
        ]
        rows.append((sep.join(words), label))
    return rows


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(root: Path, n_en: int = 240, n_zh: int = 240, dim: int = 8, seed: int = 0) -> dict:
    """Write the mirror under root/mirror and return the registry dict."""
    rng = np.random.default_rng(seed)
    mirror = root / "mirror"
    (mirror / "tiny_en").mkdir(parents=True)
    (mirror / "tiny_zh").mkdir(parents=True)
    (mirror / "vectors").mkdir(parents=True)

    en = _sentences(rng, EN_POS, EN_NEG, EN_FILL, n_en, " ")
    # cp1252 with the byte 0x85 ('...') inside a line, as in MR and Subj.
    neg = b"\n".join(t.encode("cp1252") + (b" \x85" if i % 7 == 0 else b"") for i, (t, y) in enumerate(en) if y == 0)
    pos = b"\n".join(t.encode("cp1252") for t, y in en if y == 1)
    (mirror / "tiny_en" / "tiny.neg").write_bytes(neg + b"\n")
    (mirror / "tiny_en" / "tiny.pos").write_bytes(pos + b"\n")

    zh = _sentences(rng, ZH_POS, ZH_NEG, ZH_FILL, n_zh, "")
    csv = "label,review\n" + "".join(f"{y},{t}\n" for t, y in zh) + "1,\n"  # one empty review, dropped
    (mirror / "tiny_zh" / "tiny.csv").write_text(csv, encoding="utf-8")

    # English vectors: GloVe text format inside a zip; the words "missingword" etc. stay OOV.
    en_words = sorted(set(EN_POS + EN_NEG + EN_FILL + ["...", "…"])) + [f"extra{i}" for i in range(50)]
    lines = [w + " " + " ".join(f"{v:.5f}" for v in rng.normal(0, 0.4, dim)) for w in en_words]
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as zf:
        zf.writestr("tiny.8d.txt", "\n".join(lines) + "\n")
    (mirror / "vectors" / "tiny-glove.zip").write_bytes(zbuf.getvalue())

    # Chinese vectors: word2vec binary inside a tar.gz.
    zh_words = ZH_POS + ZH_NEG + ZH_FILL + [f"词{i}" for i in range(50)]
    body = io.BytesIO()
    body.write(f"{len(zh_words)} {dim}\n".encode())
    for w in zh_words:
        body.write(w.encode("utf-8") + b" " + rng.normal(0, 0.4, dim).astype("<f4").tobytes() + b"\n")
    tbuf = io.BytesIO()
    with tarfile.open(fileobj=tbuf, mode="w:gz") as tf:
        info = tarfile.TarInfo("tinyw2v/words.vector")
        info.size = body.tell()
        body.seek(0)
        tf.addfile(info, body)
    (mirror / "vectors" / "tiny-w2v.tar.gz").write_bytes(tbuf.getvalue())

    def entry(group, name, **kw):
        return {
            "group": group,
            "name": name,
            "sha256": _sha(mirror / group / name),
            "url": f"https://example.invalid/{group}/{name}",
            **kw,
        }

    return {
        "datasets": {
            "tiny_en": {
                "language": "en",
                "format": "polarity_files",
                "labels": ["negative", "positive"],
                "max_len": 12,
                "files": [
                    entry("tiny_en", "tiny.neg", label=0, encoding="cp1252"),
                    entry("tiny_en", "tiny.pos", label=1, encoding="cp1252"),
                ],
            },
            "tiny_zh": {
                "language": "zh",
                "format": "label_review_csv",
                "labels": ["negative", "positive"],
                "max_len": 10,
                "files": [entry("tiny_zh", "tiny.csv", encoding="utf-8")],
            },
        },
        "vectors": {
            "tiny-glove": {
                "language": "en",
                "format": "glove_text",
                "dim": dim,
                "file": entry("vectors", "tiny-glove.zip"),
                "members": {"vectors": "tiny.8d.txt"},
            },
            "tiny-w2v": {
                "language": "zh",
                "format": "word2vec_binary",
                "dim": dim,
                "file": entry("vectors", "tiny-w2v.tar.gz"),
                "members": {"vectors": "tinyw2v/words.vector"},
            },
        },
        "resources": {},
    }


def write_registry(registry: dict, path: Path) -> None:
    path.write_text(yaml.safe_dump(registry, allow_unicode=True, sort_keys=False), encoding="utf-8")
