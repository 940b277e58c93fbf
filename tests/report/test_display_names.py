"""Reports name a dataset by its registry entry's display_name (shipped or the user's), else its key."""

from __future__ import annotations

import yaml

from snntext.core import paths
from snntext.report.markdown import display


def test_shipped_datasets_keep_their_names():
    assert [display(d) for d in ("mr", "sst2", "sst5", "subj", "chnsenti", "waimai")] == [
        "MR",
        "SST-2",
        "SST-5",
        "Subj",
        "ChnSenti",
        "Waimai",
    ]


def test_user_datasets_show_their_display_name_or_key(tmp_path, monkeypatch):
    entry = {"language": "en", "format": "label_first", "labels": ["a", "b"], "max_len": 5, "files": [{"path": "x"}]}
    user = tmp_path / "datasets.yaml"
    user.write_text(
        yaml.safe_dump(
            {
                "datasets": {
                    "trec": {**entry, "display_name": "TREC"},
                    "plain": entry,
                    "broken": {**entry, "language": "fr"},
                }
            }
        ),
        encoding="utf-8",
    )
    monkeypatch.setattr(paths, "USER_DATASETS_FILE", user)
    assert (display("trec"), display("plain"), display("broken"), display("mr")) == ("TREC", "plain", "broken", "MR")
    unreadable = tmp_path / "other.yaml"
    unreadable.write_text("datasets: [unclosed\n", encoding="utf-8")
    monkeypatch.setattr(paths, "USER_DATASETS_FILE", unreadable)
    assert display("trec") == "trec" and display("sst2") == "SST-2"
