"""The wrappers score texts exactly as the pipeline scores its embedded ids."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import torch

from snntext.coding.rate import rate_spikes
from snntext.coding.shift import shift_to_unit_interval
from snntext.evaluation.scoring import predict
from snntext.models.textcnn import population_scores

from .conftest import EXAMPLES


@pytest.fixture(scope="module")
def wrappers(offline_resources):
    from snntext.attack import wrappers

    return wrappers


def make_encoder(wrappers, tiny_pipeline, with_vectors=True):
    return wrappers.TextEncoder.from_embedded(
        tiny_pipeline["embedded"], vectors=tiny_pipeline["vectors"] if with_vectors else None
    )


def test_encoder_ids_equal_the_embed_stage_ids(wrappers, tiny_pipeline):
    encoder = make_encoder(wrappers, tiny_pipeline)
    ids = encoder.encode([t for t, _ in EXAMPLES])
    assert torch.equal(ids, torch.from_numpy(tiny_pipeline["embedded"]["arrays"]["test_ids"].astype(np.int64)))
    assert encoder.added_words == 0


def test_dnn_wrapper_predicts_like_the_pipeline_evaluation(wrappers, tiny_pipeline):
    embedded, model = tiny_pipeline["embedded"], tiny_pipeline["dnn"]
    model.train()  # the wrapper must switch dropout off itself
    wrapper = wrappers.DNNWrapper(model, make_encoder(wrappers, tiny_pipeline), batch_size=2)
    scores = wrapper([t for t, _ in EXAMPLES])
    ids = torch.from_numpy(embedded["arrays"]["test_ids"].astype(np.int64))
    table = torch.from_numpy(embedded["table"])
    expected = predict(model, ids, table, batch_size=8, device=torch.device("cpu"))
    assert np.array_equal(scores.argmax(1), expected.numpy())
    np.testing.assert_allclose(scores, model.eval()(table[ids]).detach().numpy(), rtol=1e-5, atol=1e-6)
    assert not model.training and wrapper.queries == len(EXAMPLES)


def test_unseen_word_gets_its_shifted_vector_and_unknown_word_the_oov_row(wrappers, tiny_pipeline):
    meta, kv = tiny_pipeline["embedded"]["meta"], tiny_pipeline["vectors"]
    assert "cinema" not in tiny_pipeline["embedded"]["vocab"]  # in the vectors, not in the dataset
    encoder = make_encoder(wrappers, tiny_pipeline)
    rates = encoder.rates(["cinema zzzunknown"])
    expected = shift_to_unit_interval(kv["cinema"], meta["global_mean"], meta["global_std"], meta["clip_sigma"])
    np.testing.assert_allclose(rates[0, 0].numpy(), expected)
    np.testing.assert_allclose(rates[0, 1].numpy(), tiny_pipeline["embedded"]["table"][1])  # <unk> row
    assert rates[0, 2:].abs().sum() == 0  # padding
    assert encoder.added_words == 1
    without = make_encoder(wrappers, tiny_pipeline, with_vectors=False)
    assert without.encode(["cinema"])[0, 0] == 1


def test_unseen_word_gets_the_tables_input_code(wrappers, tiny_pipeline):
    """Under embed.code signed the table has 2D columns: an attack's new word must join it in that code."""
    from snntext.coding.input_codes import signed_table

    embedded, kv = tiny_pipeline["embedded"], tiny_pipeline["vectors"]
    meta = {**embedded["meta"], "code": "signed"}
    signed = {**embedded, "meta": meta, "table": signed_table(embedded["table"])}
    encoder = wrappers.TextEncoder.from_embedded(signed, vectors=kv)
    rates = encoder.rates(["cinema zzzunknown"])
    shifted = shift_to_unit_interval(kv["cinema"][None], meta["global_mean"], meta["global_std"], meta["clip_sigma"])
    assert rates.shape[-1] == 2 * embedded["table"].shape[1]
    np.testing.assert_allclose(rates[0, 0].numpy(), signed_table(shifted)[0])
    np.testing.assert_allclose(rates[0, 1].numpy(), signed["table"][1])  # <unk> row, in the signed code
    assert encoder.added_words == 1


def test_snn_wrapper_deterministic_matches_direct_evaluation(wrappers, tiny_pipeline):
    """The deterministic SNN: the model on the frozen noise U [T, max_len, D] of the seed against the rates."""
    snn, T = tiny_pipeline["snn"], 20
    texts = [t for t, _ in EXAMPLES]
    wrapper = wrappers.SNNWrapper(
        snn, make_encoder(wrappers, tiny_pipeline), timesteps=T, num_classes=2, seed=3, batch_size=2
    )
    scores = wrapper(texts)
    table = torch.from_numpy(tiny_pipeline["embedded"]["table"])
    ids = torch.from_numpy(tiny_pipeline["embedded"]["arrays"]["test_ids"].astype(np.int64))
    noise = torch.rand((T, 12, 10), generator=torch.Generator().manual_seed(3))  # max_len 12, D 10
    spikes = (noise[:, None] < table[ids][None]).float()
    direct = population_scores(snn(spikes).sum(0), 2) / T
    np.testing.assert_allclose(scores, direct.numpy())
    # same text, other batch company, order and batch size: same scores
    again = wrapper([texts[2], "the story is bland", texts[0]])
    np.testing.assert_allclose(again[0], scores[2])
    np.testing.assert_allclose(again[2], scores[0])
    alone = wrappers.SNNWrapper(snn, make_encoder(wrappers, tiny_pipeline), timesteps=T, num_classes=2, seed=3)
    np.testing.assert_allclose(alone([texts[1]])[0], scores[1])
    np.testing.assert_allclose(alone(texts[::-1]), scores[::-1])
    assert wrapper.queries == 6


def test_frozen_noise_covers_max_len_and_the_tables_columns_once_per_wrapper(wrappers, tiny_pipeline):
    from snntext.coding.input_codes import signed_table

    wrapper = wrappers.SNNWrapper(
        tiny_pipeline["snn"], make_encoder(wrappers, tiny_pipeline), timesteps=7, num_classes=2, seed=5
    )
    assert wrapper.noise is not None and wrapper.noise.shape == (7, 12, 10)  # T, max_len, D
    assert wrapper.noise.device == torch.device("cpu") and wrapper.noise.dtype == torch.float32
    assert torch.equal(wrapper.noise, wrappers.frozen_noise(7, 12, 10, seed=5))
    assert not torch.equal(wrapper.noise, wrappers.frozen_noise(7, 12, 10, seed=6))
    made = wrapper.noise.data_ptr()
    wrapper([t for t, _ in EXAMPLES])
    wrapper.reseed(11)  # the runner reseeds per example and recipe: the frozen noise stays
    wrapper(["cinema is nice"])  # a word added to the table: rows, not columns
    assert wrapper.noise.data_ptr() == made and torch.equal(wrapper.noise, wrappers.frozen_noise(7, 12, 10, 5))

    embedded = tiny_pipeline["embedded"]
    signed = {**embedded, "meta": {**embedded["meta"], "code": "signed"}, "table": signed_table(embedded["table"])}
    encoder = wrappers.TextEncoder.from_embedded(signed, vectors=tiny_pipeline["vectors"])
    signed_snn = RecordingSpiking()
    wrapper = wrappers.SNNWrapper(signed_snn, encoder, timesteps=7, num_classes=2, seed=5)
    assert wrapper.noise is not None and wrapper.noise.shape == (7, 12, 20)  # the signed code: 2D columns
    wrapper(["the movie is good"])
    rates = encoder.rates(["the movie is good"])
    assert torch.equal(signed_snn.inputs[-1], (wrapper.noise[:, None] < rates[None]).float())
    assert signed_snn.inputs[-1][:, :, 4:].sum() == 0  # padding never spikes
    with pytest.raises(ValueError, match="do not fit the frozen noise of 12 positions and 20 columns"):
        wrapper.frozen_spikes(torch.zeros(1, 13, 20))


class RecordingSpiking(torch.nn.Module):
    """Keeps the spikes [T, B, L, D] it is given (the first layer's input); outputs one spike per class."""

    def __init__(self):
        super().__init__()
        self.inputs = []

    def forward(self, spikes):
        self.inputs.append(spikes.clone())
        return spikes.sum(dim=(2, 3))[..., None].expand(*spikes.shape[:2], 2).clamp(max=1)


def _text_hash_spikes(text, rates, timesteps, seed):
    """The replaced variant, for contrast: every spike of a text drawn from a hash of the whole text."""
    digest = hashlib.sha256(f"{seed}\x00{text}".encode()).digest()
    generator = torch.Generator().manual_seed(int.from_bytes(digest[:8], "little") & (2**63 - 1))
    return rate_spikes(rates, timesteps, generator)


def _changed_positions(a, b):
    return sorted({int(p) for p in (a != b).any(dim=0).any(dim=0).any(dim=-1).nonzero().flatten()})


def test_a_substitution_changes_only_its_own_positions_spikes(wrappers, tiny_pipeline):
    """Frozen noise: "good" -> "fine" (position 3) changes the spikes at position 3 and nowhere else;
    spikes drawn from a hash of the text (the replaced variant) would change at every word."""
    T, seed = 20, 3
    original, edited = "the movie is good and the cast is great", "the movie is fine and the cast is great"
    recorder = RecordingSpiking()
    encoder = make_encoder(wrappers, tiny_pipeline)
    wrapper = wrappers.SNNWrapper(recorder, encoder, timesteps=T, num_classes=2, seed=seed)
    wrapper([original])
    wrapper([edited])
    before, after = recorder.inputs  # the first layer's input: spikes [T, 1, max_len, D]
    assert before.shape == (T, 1, 12, 10)
    assert _changed_positions(before, after) == [3]
    words = len(original.split())
    hashed = [_text_hash_spikes(t, encoder.rates([t]), T, seed) for t in (original, edited)]
    assert len(_changed_positions(*hashed)) > 1 and set(_changed_positions(*hashed)) - {3}
    assert set(_changed_positions(*hashed)) <= set(range(words))  # (padding never spikes)

    # a word inserted shifts the later words onto other noise: positions before it keep their spikes
    wrapper(["the movie is really good and the cast is great"])
    inserted = recorder.inputs[-1]
    changed = _changed_positions(before, inserted)
    assert min(changed) == 3 and all(p >= 3 for p in changed)
    assert torch.equal(before[:, :, :3], inserted[:, :, :3])


def test_snn_eot_scores_are_the_mean_over_its_draws_seeded_by_reseed(wrappers, tiny_pipeline):
    """snn_eot: each query is scored as the mean of `spike_samples` (attack.eot_draws) fresh draws, from
    the generator reseed() restarts; draw k is rate_spikes over the whole batch."""
    snn, T, draws = tiny_pipeline["snn"], 6, 4
    texts = [t for t, _ in EXAMPLES]
    encoder = make_encoder(wrappers, tiny_pipeline)
    wrapper = wrappers.SNNWrapper(
        snn, encoder, timesteps=T, num_classes=2, seed=0, stochastic=True, spike_samples=draws
    )
    assert wrapper.noise is None and not wrapper.deterministic
    wrapper.reseed(123)
    scores = wrapper(texts)
    rates = wrapper.encoder.rates(texts)
    generator = torch.Generator().manual_seed(123)
    per_draw = [wrappers.snn_class_scores(snn, rate_spikes(rates, T, generator), 2).numpy() for _ in range(draws)]
    np.testing.assert_allclose(scores, np.mean(per_draw, axis=0), rtol=1e-6)
    assert not all(np.allclose(per_draw[0], d) for d in per_draw[1:])  # the draws differ: a real mean
    later = wrapper(texts)  # the sequence runs on: the next query draws the next spikes
    wrapper.reseed(123)
    np.testing.assert_allclose(wrapper(texts), scores)  # reseed restarts it
    np.testing.assert_allclose(wrapper(texts), later)
    wrapper.reseed(124)
    assert not np.allclose(wrapper(texts), scores)
    assert wrapper.queries == 5 * len(texts)


def test_real_spiking_network_trimmed_run_equals_full_run(wrappers, tiny_pipeline):
    from snntext.models.spiking import SpikingTextCNN

    torch.manual_seed(1)
    snn = SpikingTextCNN(embedding_dim=10, num_classes=2, neurons_per_class=2, kernel_sizes=(1, 2), filters=6).eval()
    snn.load_state_dict({**snn.state_dict(), **tiny_pipeline["dnn"].state_dict()}, strict=False)
    wrapper = wrappers.SNNWrapper(snn, make_encoder(wrappers, tiny_pipeline), timesteps=10, num_classes=2)
    texts = [t for t, _ in EXAMPLES]
    rates = wrapper.encoder.rates(texts)
    spikes = wrapper.frozen_spikes(rates)
    with torch.no_grad():
        full = population_scores(snn(spikes).sum(0), 2) / 10
    np.testing.assert_allclose(wrapper(texts), full.numpy())


def test_a_latency_net_sees_latency_spikes_under_every_variant(wrappers, tiny_pipeline):
    """A latency-coded SNN draws nothing: the deterministic and the stochastic wrapper feed it the same spikes,
    one per channel above 0 at step round((1 - x)(T - 1)); an attack's new word joins the table with the dead zone."""
    from snntext.coding.input_codes import signed_table
    from snntext.coding.latency import latency_spikes

    embedded, kv = tiny_pipeline["embedded"], tiny_pipeline["vectors"]
    meta = {**embedded["meta"], "code": "latency", "dead_zone": 0.5}
    clip = meta["clip_sigma"]
    table = {**embedded, "meta": meta, "table": signed_table(embedded["table"], 0.5, clip)}
    encoder = wrappers.TextEncoder.from_embedded(table, vectors=kv)
    rates = encoder.rates(["cinema zzzunknown"])
    shifted = shift_to_unit_interval(kv["cinema"][None], meta["global_mean"], meta["global_std"], clip)
    np.testing.assert_allclose(rates[0, 0].numpy(), signed_table(shifted, 0.5, clip)[0])
    seen = []
    for stochastic in (False, True):
        snn = RecordingSpiking()
        snn.input_code = "latency"
        wrapper = wrappers.SNNWrapper(snn, encoder, timesteps=7, num_classes=2, seed=5, stochastic=stochastic)
        wrapper(["the movie is good"])
        seen.append(snn.inputs[-1])
    expected = latency_spikes(encoder.rates(["the movie is good"]), 7)
    assert torch.equal(seen[0], expected) and torch.equal(seen[1], expected)
    assert seen[0].sum(dim=0).max() <= 1
