"""Offline resources: NLTK data folder, TextAttack marker, environment, WordNet checks."""

from __future__ import annotations

import os
import zipfile

import pytest

from snntext.attack import offline
from snntext.core.errors import SnntextError

from .conftest import STOPWORDS, write_resources


def test_prepared_folder_environment_and_marker(offline_resources):
    nltk_data = offline_resources.nltk_data
    assert (nltk_data / "corpora" / "stopwords" / "english").read_text().split() == STOPWORDS
    assert (offline_resources.textattack_cache / offline.TA_MARKER).is_file()
    assert os.environ["NLTK_DATA"] == str(nltk_data)
    assert os.environ["TA_CACHE_DIR"] == str(offline_resources.textattack_cache)
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    import nltk

    assert nltk.download("omw-1.4") is True  # a no-op, no network


def test_wordnet_copied_not_linked_and_readable(offline_resources, no_network):
    if not offline_resources.wordnet_available:
        pytest.skip(offline_resources.wordnet_problem)
    folder = offline_resources.nltk_data / "corpora" / "wordnet"
    assert all(
        (folder / name).is_file() and not (folder / name).is_symlink() for name in (*offline.WORDNET_FILES, "lexnames")
    )
    from nltk.corpus import wordnet

    assert wordnet.get_version() == "3.0"
    assert "film" in {lemma.name() for s in wordnet.synsets("movie") for lemma in s.lemmas()}


def test_missing_wordnet_gives_the_clear_message(tmp_path):
    stopwords, lexnames = write_resources(tmp_path / "resources")
    nltk_data = tmp_path / "nltk_data"
    problem = offline.install_wordnet(nltk_data, source_dir=tmp_path / "no-wordnet", lexnames=lexnames)
    assert "PWWS needs WordNet 3.0" in problem and "wordnet-base" in problem and "wordnet-sense-index" in problem
    assert not (nltk_data / "corpora" / "wordnet").exists()
    with pytest.raises(SnntextError, match="wordnet-base"):
        offline.require_wordnet(offline.OfflineResources(nltk_data, tmp_path, problem))
    missing_lexnames = offline.wordnet_problem(offline.DEBIAN_WORDNET_DIR, tmp_path / "absent" / "lexnames")
    if offline.wordnet_problem(offline.DEBIAN_WORDNET_DIR, lexnames) is None:  # Debian WordNet installed here
        assert "lexnames" in missing_lexnames and "download" in missing_lexnames


def test_pwws_unavailable_without_wordnet(offline_resources, tiny_pipeline):
    from snntext.attack.recipes import RecipeContext, RecipeUnavailable, build_attack
    from snntext.attack.wrappers import DNNWrapper, TextEncoder

    wrapper = DNNWrapper(tiny_pipeline["dnn"], TextEncoder.from_embedded(tiny_pipeline["embedded"]))
    ctx = RecipeContext(language="en", wordnet_problem="PWWS needs WordNet 3.0, but ... wordnet-base")
    with pytest.raises(RecipeUnavailable, match="PWWS needs WordNet 3.0"):
        build_attack("pwws", wrapper, ctx)


def test_missing_or_bad_stopwords_name_the_file(tmp_path):
    with pytest.raises(SnntextError, match="stopwords.zip: NLTK stopwords not found"):
        offline.install_stopwords(tmp_path / "nltk_data", tmp_path / "stopwords.zip")
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("stopwords/french", "le\n")
    with pytest.raises(SnntextError, match="no stopwords/english"):
        offline.install_stopwords(tmp_path / "nltk_data", bad)


def test_wordnet_install_is_idempotent_and_repairs(tmp_path):
    source = tmp_path / "wn"
    source.mkdir()
    for name in offline.WORDNET_FILES:
        (source / name).write_text(name)
    _, lexnames = write_resources(tmp_path / "resources")
    nltk_data = tmp_path / "nltk_data"
    assert offline.install_wordnet(nltk_data, source, lexnames) is None
    target = nltk_data / "corpora" / "wordnet"
    (target / "data.noun").write_text("x")  # a damaged copy is replaced
    assert offline.install_wordnet(nltk_data, source, lexnames) is None
    assert (target / "data.noun").read_text() == "data.noun"
    assert sorted(p.name for p in target.iterdir()) == sorted((*offline.WORDNET_FILES, "lexnames"))


def test_homoglyph_swap_despite_missing_packaged_file(offline_resources):
    from textattack.shared import AttackedText

    swap = offline.homoglyph_swap()
    words = swap._get_replacement_words("good")
    assert words and all(len(w) == 4 and w != "good" for w in words)
    assert swap(AttackedText("good movie"))
