"""One process's attack session: every recipe built on every model once, one example attacked at a time.

An example's result depends on nothing but the example: the random generators (Python's and NumPy's,
which the character edits and PSO draw from, and the stochastic SNN's) are seeded from (seed, test row,
recipe) before each attack, the same for every model, and every cache is emptied between examples.
Import after snntext.attack.offline.prepare_offline().
"""

from __future__ import annotations

import hashlib
import random
from time import perf_counter

import numpy as np
import torch
from textattack import Attack
from textattack.attack_results import FailedAttackResult, SkippedAttackResult, SuccessfulAttackResult

from snntext.attack.caching import CachedSentenceModel, RecipeCaches, memoise_word_splitting
from snntext.attack.recipes import RecipeContext, RecipeUnavailable, build_attack

SPIKING_MODELS = ("snn", "snn_stochastic", "snn_eot")  # the fine-tuned SNN (snn.pt), wrapped three ways
STOCHASTIC_MODELS = ("snn_stochastic", "snn_eot")  # fresh spikes per query; snn: frozen noise
STATUS = {SkippedAttackResult: "K", SuccessfulAttackResult: "S", FailedAttackResult: "F"}


def example_seed(seed: int, index: int, recipe: str) -> int:
    """The seed of one example's attack by one recipe (the same for every model)."""
    digest = hashlib.sha256(f"{seed}\x00{index}\x00{recipe}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & (2**63 - 1)


def spike_draws(name: str, settings) -> int:
    """Spike draws averaged per query by a stochastic SNN: attack.eot_draws for snn_eot (expectation over
    transformation), attack.spike_samples for snn_stochastic (1: the plain attack)."""
    return int(settings.eot_draws if name == "snn_eot" else settings.spike_samples)


def _seed_all(seed: int) -> None:
    """The character-edit transformations and PSO draw from Python's and NumPy's global generators."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _cell(result, label: int, model_queries: int, wall: float) -> dict:
    """One model x recipe x example: status, queries, and the adversarial text when it succeeded."""
    status = STATUS.get(type(result))
    if status is None:  # e.g. MaximizedAttackResult: not produced by untargeted classification
        raise TypeError(f"unexpected attack result {type(result).__name__}")
    cell = {"status": status, "model_queries": model_queries, "wall_s": round(wall, 4)}
    if status != "K":
        cell["queries"] = result.perturbed_result.num_queries
    if status == "S":
        original, perturbed = result.original_result.attacked_text, result.perturbed_result.attacked_text
        cell["perturbed_word_share"] = round(len(original.all_words_diff(perturbed)) / max(1, len(original.words)), 6)
        cell["perturbed_text"] = perturbed.text
        cell["perturbed_label"] = int(result.perturbed_result.output)
    return cell


class AttackSession:
    """Every recipe built on every model once per process; attacks one example at a time.

    share_caches=False turns off the work sharing of snntext.attack.caching (the benchmark's baseline).
    """

    def __init__(self, wrappers: dict, recipes: list[str], ctx: RecipeContext, seed: int, share_caches: bool = True):
        self.wrappers = wrappers
        self.ctx = ctx
        self.seed = int(seed)
        self.share_caches = share_caches
        self.skipped: dict[str, str] = {}
        self.attacks: dict[tuple[str, str], Attack] = {}
        self.caches: list[RecipeCaches] = []
        memoise_word_splitting(share_caches)
        if share_caches and ctx.sentence_model is not None and not isinstance(ctx.sentence_model, CachedSentenceModel):
            ctx.sentence_model = CachedSentenceModel(ctx.sentence_model)
        for recipe in recipes:
            caches = RecipeCaches() if share_caches else None
            try:
                built = {name: build_attack(recipe, wrapper, ctx) for name, wrapper in wrappers.items()}
            except RecipeUnavailable as err:
                self.skipped[recipe] = str(err)
                continue
            for name, attack in built.items():
                if caches is not None:
                    caches.attach(attack)
                self.attacks[(recipe, name)] = attack
            if caches is not None:
                self.caches.append(caches)
        self.recipes = [r for r in recipes if r not in self.skipped]
        for wrapper in wrappers.values():
            wrapper.memo = {} if share_caches else None

    @classmethod
    def from_job(cls, job) -> AttackSession:
        """Built in the worker from an AttackJob (snntext.attack.job)."""
        from textattack.shared import WordEmbedding

        from snntext.attack.recipes import load_sentence_model
        from snntext.attack.wrappers import DNNWrapper, SNNWrapper, TextEncoder

        settings = job.settings
        encoder = TextEncoder.from_embedded(job.embedded, vectors=job.vectors)
        ctx = RecipeContext(
            language=job.language,
            similarity=settings.similarity,
            wordnet_problem=job.wordnet_problem,
            batch_size=settings.batch_size,
        )
        if job.embedding is not None:
            matrix, words, nn_matrix = job.embedding
            ctx.embedding = WordEmbedding(
                matrix, {w: i for i, w in enumerate(words)}, dict(enumerate(words)), nn_matrix
            )
        if job.sentence_model is not None:
            ctx.sentence_model = load_sentence_model(job.sentence_model, device=job.device)
        wrappers = {}
        for name, model in job.models.items():
            model = model.to(job.device)
            if name in SPIKING_MODELS:
                wrappers[name] = SNNWrapper(
                    model,
                    encoder,
                    settings.timesteps,
                    model.num_classes,
                    seed=settings.seed,
                    stochastic=name in STOCHASTIC_MODELS,
                    spike_samples=spike_draws(name, settings),
                    device=job.device,
                    batch_size=settings.batch_size,
                )
            else:
                wrappers[name] = DNNWrapper(model, encoder, device=job.device, batch_size=settings.batch_size)
        return cls(wrappers, list(settings.recipes), ctx, settings.seed, share_caches=job.share_caches)

    def clear(self) -> None:
        """Empty every cache: the next example starts as in a fresh process."""
        for caches in self.caches:
            caches.clear()
        for attack in self.attacks.values():
            # TextAttack empties it after a search, but not after a skipped example: a later example with the
            # same text would reuse that score (and the stochastic SNN that draw)
            attack.goal_function.clear_cache()
        if isinstance(self.ctx.sentence_model, CachedSentenceModel):
            self.ctx.sentence_model.clear()
        for wrapper in self.wrappers.values():
            if wrapper.memo is not None:
                wrapper.memo.clear()

    def attack_example(self, position: int, index: int, text: str, label: int) -> dict:
        """Every recipe on every model for one example: {position, index, label, cells, skipped}."""
        self.clear()
        cells: dict[str, dict] = {name: {} for name in self.wrappers}
        for recipe in self.recipes:
            seed = example_seed(self.seed, index, recipe)
            for name, wrapper in self.wrappers.items():
                _seed_all(seed)
                wrapper.reseed(seed)
                before, start = wrapper.queries, perf_counter()
                result = self.attacks[(recipe, name)].attack(text, int(label))
                cells[name][recipe] = _cell(result, int(label), wrapper.queries - before, perf_counter() - start)
        return {
            "position": int(position),
            "index": int(index),
            "label": int(label),
            "text": text,
            "cells": cells,
            "skipped": dict(self.skipped),
        }
