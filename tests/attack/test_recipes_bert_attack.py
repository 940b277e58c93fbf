"""bert_attack finds bert-base-uncased on disk (hub caches or SNNTEXT_BERT_ATTACK_MODEL), offline.

A tiny random BertForMaskedLM over the test sentences' words stands in for bert-base-uncased; every
folder the lookup reads is redirected into tmp_path, so a real model on this machine changes nothing.
"""

from __future__ import annotations

import shutil

import pytest
import torch

from .conftest import EXAMPLES, NEGATIVE, NEUTRAL, POSITIVE, STOPWORDS

SNAPSHOT = "0123456789abcdef0123456789abcdef01234567"
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


@pytest.fixture(scope="module")
def context(offline_resources, tiny_pipeline):
    from snntext.attack import recipes

    return recipes.RecipeContext(
        language="en", embedding=None, sentence_model=recipes.load_sentence_model(), similarity=0.5, batch_size=16
    )


@pytest.fixture(scope="module")
def dnn_wrapper(tiny_pipeline, offline_resources):
    from snntext.attack.wrappers import DNNWrapper, TextEncoder

    encoder = TextEncoder.from_embedded(tiny_pipeline["embedded"], vectors=tiny_pipeline["vectors"])
    return DNNWrapper(tiny_pipeline["dnn"], encoder)


@pytest.fixture(scope="module")
def tiny_mlm(tmp_path_factory, offline_resources):
    """A save_pretrained folder: random 1-layer BERT MLM + WordPiece tokenizer over > 48 words
    (bert-attack takes the top 48 tokens per position)."""
    from transformers import BertConfig, BertForMaskedLM, BertTokenizer

    folder = tmp_path_factory.mktemp("tiny_mlm")
    words = sorted(set(POSITIVE + NEGATIVE + NEUTRAL + STOPWORDS + " ".join(t for t, _ in EXAMPLES).split()))
    vocab = folder / "vocab.txt"
    vocab.write_text("\n".join(SPECIAL_TOKENS + words) + "\n", encoding="utf-8")
    tokenizer = BertTokenizer(str(vocab), do_lower_case=True)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(SPECIAL_TOKENS) + len(words),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=37,
    )
    model_folder = folder / "model"
    BertForMaskedLM(config).save_pretrained(model_folder)
    tokenizer.save_pretrained(model_folder)
    return model_folder


@pytest.fixture
def caches(monkeypatch, tmp_path):
    """Every place the lookup reads points into tmp_path (nothing there yet)."""
    from snntext.attack.recipes import BERT_ATTACK_MODEL_ENV

    for name in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", BERT_ATTACK_MODEL_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    monkeypatch.setenv("TA_CACHE_DIR", str(tmp_path / "textattack"))
    return tmp_path


def put_in_hub_cache(hub, model_folder, repo_id="bert-base-uncased"):
    """The hub cache layout snapshot_download(local_files_only=True) resolves: refs/main -> snapshot."""
    repo = hub / f"models--{repo_id.replace('/', '--')}"
    shutil.copytree(model_folder, repo / "snapshots" / SNAPSHOT)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(SNAPSHOT)
    return repo / "snapshots" / SNAPSHOT


@pytest.mark.parametrize("where", ["HF_HUB_CACHE", "home", "TA_CACHE_DIR"])
def test_bert_attack_uses_a_locally_cached_model(
    where, caches, monkeypatch, tiny_mlm, context, dnn_wrapper, no_network
):
    from snntext.attack.recipes import build_attack

    if where == "HF_HUB_CACHE":
        hub = caches / "user_hub"
        monkeypatch.setenv("HF_HUB_CACHE", str(hub))
    elif where == "home":
        hub = caches / "home" / ".cache" / "huggingface" / "hub"
    else:
        hub = caches / "textattack"
    put_in_hub_cache(hub, tiny_mlm)
    attack = build_attack("bert_attack", dnn_wrapper, context)
    swap = attack.transformation
    assert swap.method == "bert-attack" and swap.max_candidates == 48
    assert swap._language_model.config.hidden_size == 32  # the stand-in, not a download
    assert no_network == []


def test_bert_attack_with_the_env_override_runs_to_a_result(
    caches, monkeypatch, tiny_mlm, context, dnn_wrapper, no_network
):
    from snntext.attack.recipes import BERT_ATTACK_MODEL_ENV
    from snntext.attack.run import attack_examples

    monkeypatch.setenv(BERT_ATTACK_MODEL_ENV, str(tiny_mlm))
    outcome = attack_examples("bert_attack", dnn_wrapper, context, EXAMPLES[:2], seed=0)
    metrics = outcome.metrics
    assert metrics["attacked"] == 2 and metrics["successful"] + metrics["failed"] == 2
    assert metrics["queries"] > 0
    for row in outcome.adversarial:
        assert row["original_text"] != row["perturbed_text"] and row["perturbed_label"] != row["label"]
    assert no_network == []


def test_bert_attack_skips_with_one_line_reason_when_no_cache_has_it(caches, context, dnn_wrapper, no_network):
    from snntext.attack.recipes import RecipeUnavailable, build_attack

    (caches / "hf_home" / "hub").mkdir(parents=True)  # a cache exists, but without the model
    with pytest.raises(RecipeUnavailable) as info:
        build_attack("bert_attack", dnn_wrapper, context)
    message = str(info.value)
    assert "bert-base-uncased is not in the local Hugging Face cache" in message and "\n" not in message
    assert str(caches / "hf_home" / "hub") in message and "SNNTEXT_BERT_ATTACK_MODEL" in message


def test_bert_attack_skips_an_incomplete_snapshot(caches, monkeypatch, tmp_path, context, dnn_wrapper, no_network):
    """A snapshot holding only config.json (left by an earlier AutoConfig call) is no model."""
    from transformers import BertConfig

    from snntext.attack.recipes import RecipeUnavailable, build_attack

    partial = tmp_path / "partial"
    BertConfig(
        vocab_size=60, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=37
    ).save_pretrained(partial)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    put_in_hub_cache(tmp_path / "hub", partial)
    with pytest.raises(RecipeUnavailable) as info:
        build_attack("bert_attack", dnn_wrapper, context)
    assert "no usable masked language model" in str(info.value) and "\n" not in str(info.value)


def test_bert_attack_override_must_be_a_folder(caches, monkeypatch, context, dnn_wrapper):
    from snntext.attack.recipes import BERT_ATTACK_MODEL_ENV, RecipeUnavailable, build_attack

    monkeypatch.setenv(BERT_ATTACK_MODEL_ENV, str(caches / "nowhere"))
    with pytest.raises(RecipeUnavailable, match="is not a folder"):
        build_attack("bert_attack", dnn_wrapper, context)
