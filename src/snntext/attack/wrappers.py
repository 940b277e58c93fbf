"""TextAttack model wrappers: text in, class scores out, through exactly the pipeline's input path.

A text is split by `snntext.data.tokenise.tokenise`, looked up in the embed stage's vocabulary
(vocab.txt; unknown -> <unk> row 1, truncated and post-padded to max_len by
`encoding.encode_ids`) and read from the embed stage's [0, 1] table. (The authors attacked
with a different tokeniser than they trained with; we do not.)

An attack puts words into a sentence that the dataset never had, e.g. an embedding neighbour
or a WordNet synonym. The embed stage's vocabulary is "every dataset token that has a
vector", so such a word gets what the pipeline would give it: its pre-trained vector shifted
by the same global mean/std/clip (`encoding.shift_to_unit_interval`) and put in the table's input
code (`input_codes.apply_input_code`: a signed-code table has 2D columns), appended on first use,
or the <unk> row when the vectors do not know it either.

Scores: the DNNs return their class scores (the tailored net's population sums, Kim's logits);
the SNN returns its class spike counts (output spikes summed over T and over each class's
population) divided by T, the rate analogue of the DNN's scores. TextAttack softmaxes both.

The SNN's spikes (SNNWrapper): the deterministic SNN reads frozen noise (common random numbers):
one uniform draw per (step, position, input column) fixed by the seed, the same for every text, so
an edit changes only the spikes of the positions it touches and the attack's score signal carries
no spike-draw noise unrelated to the edit (cf. Athalye et al. 2018, Tramer et al. 2020, on scoring
a randomised defence). The stochastic SNN draws fresh spikes for every query, averaged over
`spike_samples` draws: one draw is the plain attack (snn_stochastic), several the adaptive attack by
expectation over transformation (snn_eot, attack.eot_draws).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, TypeGuard, cast

import numpy as np
import torch
from textattack.models.wrappers import ModelWrapper
from torch import nn

from snntext.coding.input_codes import apply_input_code
from snntext.coding.latency import latency_spikes
from snntext.coding.rate import rate_spikes
from snntext.coding.shift import shift_to_unit_interval
from snntext.data.tokenise import tokenise
from snntext.data.vocab import PAD_ID, UNK_ID, encode_ids, vocab_index
from snntext.models.textcnn import population_scores

if TYPE_CHECKING:

    class _FullLengthNet(Protocol):
        """What snn_class_scores needs of a SpikingTextCNN to cut a batch (no import of it here)."""

        kernel_sizes: tuple[int, ...]

        def __call__(self, spikes: torch.Tensor, full_length: int | None = None) -> torch.Tensor: ...


@functools.lru_cache(maxsize=2**16)
def _tokens(text: str, language: str) -> tuple[str, ...]:
    """The pipeline's tokens of a text, memoised: an attack scores the same text on several models."""
    return tuple(tokenise(text, language))


class TextEncoder:
    """Texts -> (ids [N, L], table [V, D]) as the pipeline builds them, with the vocabulary
    extended on demand by words the pre-trained vectors know (see module docstring)."""

    def __init__(
        self,
        language: str,
        vocab: Sequence[str],
        table: np.ndarray | torch.Tensor,
        max_len: int,
        vectors=None,
        mean: float | None = None,
        std: float | None = None,
        clip_sigma: float = 3.0,
        code: str = "shift",
        dead_zone: float = 0.0,
    ):
        if vectors is not None and (mean is None or std is None):
            raise ValueError("TextEncoder: vectors need the table's global mean and std (meta.json)")
        self.language = language
        self.max_len = int(max_len)
        self.index = vocab_index(vocab)
        self.table = torch.as_tensor(np.asarray(table, dtype=np.float32))
        self.base_rows = self.table.shape[0]
        self._vectors = vectors
        self._shift = (mean, std, clip_sigma)
        self._code, self._dead_zone = code, float(dead_zone)
        self._unknown: set[str] = set()

    @classmethod
    def from_embedded(cls, embedded: dict, vectors=None) -> TextEncoder:
        """From snntext.data.embed.read_embedded(...) output (+ the KeyedVectors it was built from)."""
        meta = embedded["meta"]
        return cls(
            meta["language"],
            embedded["vocab"],
            embedded["table"],
            meta["max_len"],
            vectors=vectors,
            mean=meta.get("global_mean"),
            std=meta.get("global_std"),
            clip_sigma=meta.get("clip_sigma", 3.0),
            code=meta.get("code", "shift"),
            dead_zone=meta.get("dead_zone", 0.0),
        )

    def _extend(self, token_lists: list[list[str]]) -> None:
        if self._vectors is None:
            return
        known = self._vectors.key_to_index
        new: list[str] = []
        for tokens in token_lists:
            for token in tokens[: self.max_len]:
                if token not in self.index and token not in self._unknown:
                    if token in known:
                        self.index[token] = self.table.shape[0] + len(new)
                        new.append(token)
                    else:
                        self._unknown.add(token)
        if new:
            mean, std, clip_sigma = cast("tuple[float, float, float]", self._shift)  # vectors come with mean, std
            raw = np.stack([self._vectors[token] for token in new])
            shifted = shift_to_unit_interval(raw, mean, std, clip_sigma)
            coded = apply_input_code(shifted, self._code, dead_zone=self._dead_zone, clip_sigma=clip_sigma)
            rows = torch.from_numpy(coded)
            self.table = torch.cat([self.table, rows.to(self.table.device)])

    def encode(self, texts: Sequence[str]) -> torch.Tensor:
        """int64 ids [N, max_len] (0 padding, 1 unknown) into `self.table`."""
        token_lists = [list(_tokens(text, self.language)) for text in texts]
        self._extend(token_lists)
        return torch.from_numpy(encode_ids(token_lists, self.index, self.max_len).astype(np.int64))

    def rates(self, texts: Sequence[str], device: torch.device | str = "cpu") -> torch.Tensor:
        """Firing rates [N, L, D] in [0, 1] (the DNN's input; the SNN's spike probabilities)."""
        ids = self.encode(texts)
        if self.table.device != torch.device(device):
            self.table = self.table.to(device)
        return self.table[ids.to(self.table.device)]

    @property
    def added_words(self) -> int:
        """Words given a row beyond the embed stage's vocabulary (attack substitutions)."""
        return self.table.shape[0] - self.base_rows


def frozen_noise(
    timesteps: int, positions: int, columns: int, seed: int, device: torch.device | str = "cpu"
) -> torch.Tensor:
    """The deterministic SNN's frozen noise: uniform [0, 1) draws U [timesteps, positions, columns], float32.

    Drawn once on the CPU from a generator seeded with `seed` (so the same on every device, worker and
    run), then moved to `device`. Spikes are U[:, :L, :] < rates, as rate_spikes compares its noise."""
    generator = torch.Generator().manual_seed(int(seed))
    noise = torch.rand((int(timesteps), int(positions), int(columns)), generator=generator, dtype=torch.float32)
    return noise.to(device)


class _CountingWrapper(ModelWrapper):
    """Shared by both wrappers: batching, a count of texts actually run through the model, and an
    optional per-text memo of scores (`memo = {}`; only for a model whose score depends on the text
    alone), which lets the recipes attacking one example reuse each other's queries."""

    deterministic = True

    def __init__(self, model: nn.Module, encoder: TextEncoder, device: torch.device | str, batch_size: int):
        self.model = model.eval()
        self.encoder = encoder
        self.device = torch.device(device)
        self.batch_size = int(batch_size)
        self.queries = 0
        self.memo: dict[str, np.ndarray] | None = None

    def _scores(self, texts: list[str]) -> torch.Tensor:
        raise NotImplementedError

    def _run(self, texts: list[str]) -> np.ndarray:
        out = [
            self._scores(texts[i : i + self.batch_size]).float().cpu() for i in range(0, len(texts), self.batch_size)
        ]
        self.queries += len(texts)
        return torch.cat(out).numpy() if out else np.zeros((0, 0), dtype=np.float32)

    @torch.no_grad()
    def __call__(self, text_input_list: list[str]) -> np.ndarray:
        texts = [str(t) for t in text_input_list]
        self.model.eval()
        if self.memo is None or not self.deterministic:
            return self._run(texts)
        missing = list(dict.fromkeys(t for t in texts if t not in self.memo))
        if missing:
            self.memo.update(zip(missing, self._run(missing)))
        return np.stack([self.memo[t] for t in texts]) if texts else np.zeros((0, 0), dtype=np.float32)

    def reseed(self, seed: int) -> None:
        """Restart the wrapper's own randomness (only the stochastic SNN has any)."""

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """Predicted class per text (argmax of the scores, first class on ties)."""
        return self(list(texts)).argmax(axis=1)


class DNNWrapper(_CountingWrapper):
    """A DNN (tailored or Kim TextCNN) in eval mode: dropout off (the authors left it on)."""

    def __init__(
        self, model: nn.Module, encoder: TextEncoder, device: torch.device | str = "cpu", batch_size: int = 256
    ):
        super().__init__(model, encoder, device, batch_size)

    def _scores(self, texts: list[str]) -> torch.Tensor:
        return self.model(self.encoder.rates(texts, self.device))


def _accepts_full_length(model: nn.Module) -> TypeGuard[_FullLengthNet]:
    return "full_length" in inspect.signature(model.forward).parameters and hasattr(model, "kernel_sizes")


def snn_class_scores(model: nn.Module, spikes: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Class spike counts per step: output spikes [T, B, C*N] summed over T and each class's population, / T.

    A SpikingTextCNN (bias-free, so all-zero windows never spike) runs on the batch cut to its
    longest sentence + (largest kernel - 1) positions with `full_length` = L: the same spikes, faster.
    """
    from spikingjelly.activation_based import functional

    functional.reset_net(model)
    T, _, L, _ = spikes.shape
    if _accepts_full_length(model):
        nonpad = spikes.amax(dim=(0, 1, 3)).nonzero()
        longest = int(nonpad.max()) + 1 if len(nonpad) else 0
        keep = min(L, max(longest + max(model.kernel_sizes) - 1, max(model.kernel_sizes)))
        out = model(spikes[:, :, :keep], full_length=L)
    else:
        out = model(spikes)
    return population_scores(out.sum(0), num_classes) / T


class SNNWrapper(_CountingWrapper):
    """The spiking network on Bernoulli spike trains drawn from the text's firing rates.

    Deterministic (default; the attack's model "snn"): frozen noise, i.e. common random numbers. One
    uniform tensor U [T, max_len, D] (`self.noise`: the encoder's max_len positions and its table's D
    columns, 2D under the signed code), drawn once per wrapper from `seed` (frozen_noise) and kept on
    the wrapper's device, serves every text: spikes[t, i, p, d] = U[t, p, d] < rates[i, p, d]. A text
    gets the same spikes, so the same scores, whatever batch it is in and on every query; an edit
    changes only the spikes of the positions it changes. A substitution touches its own position
    only; a word inserted or deleted shifts every later word by one position, onto other noise, so
    those positions' spikes change too (as they would for any position-wise code).

    stochastic=True: every query draws `spike_samples` fresh spike trains from one running generator
    (seeded by `seed`, restarted by reseed()) and averages their scores: the noise an attacker faces.
    One draw is the plain attack ("snn_stochastic", attack.spike_samples); several are the adaptive
    attack by expectation over transformation ("snn_eot", attack.eot_draws), which scores each query
    by the mean over draws, an estimate of the expected scores the randomised model defends with.

    A latency-coded network (input_code "latency", embed.code latency) draws nothing: every variant feeds
    it the text's latency spikes (snntext.coding.latency), so its scores are the same on every query.
    """

    def __init__(
        self,
        model: nn.Module,
        encoder: TextEncoder,
        timesteps: int,
        num_classes: int,
        *,
        seed: int = 0,
        stochastic: bool = False,
        spike_samples: int = 1,
        device: torch.device | str = "cpu",
        batch_size: int = 128,
    ):
        super().__init__(model, encoder, device, batch_size)
        if timesteps <= 0 or spike_samples <= 0:
            raise ValueError(
                f"SNNWrapper: timesteps ({timesteps}) and spike_samples ({spike_samples}) must be positive"
            )
        self.timesteps = int(timesteps)
        self.num_classes = int(num_classes)
        self.seed = int(seed)
        self.stochastic = bool(stochastic)
        self.spike_samples = int(spike_samples)
        self.generator = torch.Generator(device=self.device).manual_seed(self.seed)
        self.deterministic = not self.stochastic
        self.noise: torch.Tensor | None = None
        if not self.stochastic:
            columns = encoder.table.shape[1]  # the attack adds rows (words), never columns
            self.noise = frozen_noise(self.timesteps, encoder.max_len, columns, self.seed, self.device)

    def reseed(self, seed: int) -> None:
        """The stochastic variants' draws restart from `seed` (the runner reseeds per example and recipe);
        the frozen noise stays as it is."""
        self.generator.manual_seed(int(seed))

    def frozen_spikes(self, rates: torch.Tensor) -> torch.Tensor:
        """Deterministic spike trains [T, B, L, D] of rates [B, L, D]: the frozen noise against the rates."""
        if self.noise is None:
            raise ValueError("SNNWrapper.frozen_spikes: a stochastic wrapper has no frozen noise")
        _, positions, columns = self.noise.shape
        if rates.dim() != 3 or rates.shape[1] > positions or rates.shape[2] != columns:
            raise ValueError(
                f"SNNWrapper.frozen_spikes: rates of shape {tuple(rates.shape)} do not fit the frozen noise "
                f"of {positions} positions and {columns} columns"
            )
        noise = self.noise[:, None, : rates.shape[1]].to(rates.device)
        return (noise < rates.clamp(0.0, 1.0)).to(rates.dtype)

    def _scores(self, texts: list[str]) -> torch.Tensor:
        rates = self.encoder.rates(texts, self.device)
        if getattr(self.model, "input_code", "rate") == "latency":  # no draw: every variant sees the same spikes
            return snn_class_scores(self.model, latency_spikes(rates, self.timesteps), self.num_classes)
        if not self.stochastic:
            return snn_class_scores(self.model, self.frozen_spikes(rates), self.num_classes)
        total: torch.Tensor | int = 0
        for _ in range(self.spike_samples):
            spikes = rate_spikes(rates, self.timesteps, self.generator)
            total = total + snn_class_scores(self.model, spikes, self.num_classes)
        return cast(torch.Tensor, total) / self.spike_samples  # spike_samples >= 1: a tensor


__all__ = ["TextEncoder", "DNNWrapper", "SNNWrapper", "frozen_noise", "snn_class_scores", "PAD_ID", "UNK_ID"]
