"""The wrappers score texts exactly as the pipeline scores its embedded ids."""

from __future__ import annotations

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
    snn, T = tiny_pipeline["snn"], 20
    texts = [t for t, _ in EXAMPLES]
    wrapper = wrappers.SNNWrapper(
        snn, make_encoder(wrappers, tiny_pipeline), timesteps=T, num_classes=2, seed=3, batch_size=2
    )
    scores = wrapper(texts)
    table = torch.from_numpy(tiny_pipeline["embedded"]["table"])
    ids = torch.from_numpy(tiny_pipeline["embedded"]["arrays"]["test_ids"].astype(np.int64))
    for i, text in enumerate(texts):  # direct: the model on spikes from the text's own generator
        generator = torch.Generator().manual_seed(wrappers.text_seed(text, 3))
        spikes = rate_spikes(table[ids[i : i + 1]], T, generator)
        direct = population_scores(snn(spikes).sum(0), 2) / T
        np.testing.assert_allclose(scores[i], direct[0].numpy())
    # same text, other batch company and order: same scores
    again = wrapper([texts[2], "the story is bland", texts[0]])
    np.testing.assert_allclose(again[0], scores[2])
    np.testing.assert_allclose(again[2], scores[0])
    assert wrapper.queries == 6


def test_snn_wrapper_stochastic_redraws_and_is_seeded(wrappers, tiny_pipeline):
    texts = [t for t, _ in EXAMPLES]

    def run(seed):
        wrapper = wrappers.SNNWrapper(
            tiny_pipeline["snn"],
            make_encoder(wrappers, tiny_pipeline),
            timesteps=5,
            num_classes=2,
            seed=seed,
            stochastic=True,
            spike_samples=3,
        )
        return wrapper(texts), wrapper(texts)

    first, second = run(0)
    assert not np.allclose(first, second)  # fresh spikes per query
    np.testing.assert_allclose(run(0)[0], first)  # but the run is reproducible from its seed


def test_real_spiking_network_trimmed_run_equals_full_run(wrappers, tiny_pipeline):
    from snntext.models.spiking import SpikingTextCNN

    torch.manual_seed(1)
    snn = SpikingTextCNN(embedding_dim=10, num_classes=2, neurons_per_class=2, kernel_sizes=(1, 2), filters=6).eval()
    snn.load_state_dict({**snn.state_dict(), **tiny_pipeline["dnn"].state_dict()}, strict=False)
    wrapper = wrappers.SNNWrapper(snn, make_encoder(wrappers, tiny_pipeline), timesteps=10, num_classes=2)
    texts = [t for t, _ in EXAMPLES]
    rates = wrapper.encoder.rates(texts)
    spikes = wrapper.spikes_for(texts, rates)
    with torch.no_grad():
        full = population_scores(snn(spikes).sum(0), 2) / 10
    np.testing.assert_allclose(wrapper(texts), full.numpy())
