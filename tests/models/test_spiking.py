import pytest
import torch

from snntext.models.checkpoint import load_checkpoint, save_checkpoint
from snntext.models.spiking import SpikingTextCNN, energy_input_rates, evaluate_spiking, trimmed_length
from snntext.models.textcnn import TailoredTextCNN


def tiny_pair(seed=0):
    """A tiny DNN with positive-leaning weights (activations in (0, 1)) and its SNN copy."""
    g = torch.Generator().manual_seed(seed)
    dnn = TailoredTextCNN(4, 2, neurons_per_class=2, kernel_sizes=(2, 3), filters=3, zero_sum_filters=False).eval()
    with torch.no_grad():
        for conv in dnn.convs:
            conv.weight.copy_(torch.rand(conv.weight.shape, generator=g) * 0.13 - 0.04)
        dnn.fc.weight.copy_(torch.rand(dnn.fc.weight.shape, generator=g) * 1.2 - 0.3)
    snn = SpikingTextCNN(4, 2, neurons_per_class=2, kernel_sizes=(2, 3), filters=3)
    snn.load_state_dict(dnn.state_dict(), strict=False)
    return dnn, snn


def test_rates_approach_dnn_activations_for_large_T():
    dnn, snn = tiny_pair()
    g = torch.Generator().manual_seed(1)
    rates = torch.rand(5, 6, 4, generator=g)
    rates[:, 4:] = 0.0  # padding tail
    T = 1000
    spikes = (torch.rand(T, *rates.shape, generator=g) < rates).float()
    with torch.no_grad():
        out_rate = snn(spikes).mean(0)
        units = dnn.units(rates)
    assert 0.05 < units.max() < 1.0
    assert torch.allclose(out_rate, units.clamp(min=0), atol=0.04), (out_rate, units)


def test_trimming_is_exact():
    _, snn = tiny_pair()
    g = torch.Generator().manual_seed(2)
    ids = torch.tensor([[3, 1, 2, 0, 0, 0, 0, 0], [1, 1, 0, 0, 0, 0, 0, 0]])
    table = torch.rand(5, 4, generator=g)
    table[0] = 0
    spikes = (torch.rand(40, *ids.shape, 4, generator=g) < table[ids]).float()
    cut = trimmed_length(ids, snn.kernel_sizes)
    assert cut == 3 + 3 - 1
    with torch.no_grad():
        full = snn(spikes)
        trimmed = snn(spikes[:, :, :cut], full_length=ids.shape[1])
        wrong = snn(spikes[:, :, :cut])  # divisor of the cut length: not the same network
    assert full.sum() > 0
    assert torch.equal(full, trimmed)
    assert not torch.equal(full, wrong)


def test_predict_ties_go_to_lowest_class():
    snn = SpikingTextCNN(4, 2, neurons_per_class=2, kernel_sizes=(2,), filters=2)
    out = torch.zeros(3, 2, 4)  # example 0: silent; example 1: class 1 wins
    out[:, 1, 3] = 1
    assert snn.predict(out).tolist() == [0, 1]


def test_evaluation_is_seeded_and_counts_rates(tmp_path):
    _, snn = tiny_pair()
    ids = torch.randint(1, 5, (9, 6), generator=torch.Generator().manual_seed(3))
    ids[:, 4:] = 0
    labels = torch.randint(0, 2, (9,), generator=torch.Generator().manual_seed(4))
    table = torch.rand(5, 4, generator=torch.Generator().manual_seed(5))
    table[0] = 0
    a = evaluate_spiking(snn, ids, labels, table, timesteps=20, seed=7, batch_size=4)
    b = evaluate_spiking(snn, ids, labels, table, timesteps=20, seed=7, batch_size=4)
    assert a.as_dict() == b.as_dict()
    assert set(a.firing_rates) == {"input", "conv2", "conv3", "pool2", "pool3", "pooled", "out"}
    # input rate counts all L x D inputs, padding included: expected = mean table row over ids
    expected = float(table[ids].mean())
    assert a.firing_rates["input"] == pytest.approx(expected, abs=0.03)
    assert set(energy_input_rates(a.firing_rates, (2, 3))) == {"conv2", "conv3", "pool2", "pool3", "fc"}
    assert 0 <= a.ties <= a.n and a.silent <= a.ties


def test_checkpoint_round_trip(tmp_path):
    _, snn = tiny_pair()
    snn.pool_scale.fill_(3.0)
    save_checkpoint(tmp_path / "snn.pt", snn, "spiking", snn.config)
    loaded, payload = load_checkpoint(tmp_path / "snn.pt")
    assert isinstance(loaded, SpikingTextCNN) and float(loaded.pool_scale) == 3.0
    spikes = (torch.rand(10, 2, 6, 4, generator=torch.Generator().manual_seed(0)) < 0.5).float()
    with torch.no_grad():
        assert torch.equal(loaded(spikes), snn(spikes))


@pytest.mark.parametrize("kernels", [(2, 3), (4, 2, 3)])  # kernels in any order, filters per kernel differ
@pytest.mark.parametrize("rows", [5, 1])  # one row: the layouts' size-1 corner
def test_full_width_convolution_matches_conv2d_forward_and_backward(kernels, rows):
    from torch.nn import functional as F

    from snntext.models.spiking import full_width_convs

    g = torch.Generator().manual_seed(6)
    x = (torch.rand(rows, 9, 4, generator=g) < 0.5).float()
    ws = [torch.randn(3 + i, 1, k, 4, generator=g, requires_grad=True) for i, k in enumerate(kernels)]
    ours = full_width_convs(x, ws)
    ref = [F.conv2d(x.unsqueeze(1), w).squeeze(3).transpose(1, 2) for w in ws]  # [N, positions, F]
    assert [o.shape for o in ours] == [(rows, 10 - k, 3 + i) for i, k in enumerate(kernels)]
    up = [torch.randn(o.shape, generator=g) for o in ref]
    grads_ours = torch.autograd.grad(sum((o * u).sum() for o, u in zip(ours, up)), ws)
    grads_ref = torch.autograd.grad(sum((o * u).sum() for o, u in zip(ref, up)), ws)
    for a, b in zip(ours, ref):
        assert torch.allclose(a, b, atol=1e-5)
    for a, b in zip(grads_ours, grads_ref):
        assert torch.allclose(a, b, atol=1e-4)


def test_bf16_convolutions_give_fp32_currents_close_to_fp32_and_fp32_weight_gradients():
    torch.manual_seed(0)
    snn = SpikingTextCNN(8, 2, neurons_per_class=2, kernel_sizes=(2, 3), filters=6)
    with torch.no_grad():
        for conv in snn.convs:
            conv.weight.mul_(4)
    spikes = (torch.rand(20, 3, 7, 8, generator=torch.Generator().manual_seed(1)) < 0.5).float()
    currents = {}
    for dtype in (None, torch.bfloat16):
        snn.conv_dtype = dtype
        hook = snn.conv_neurons[0].register_forward_pre_hook(lambda m, args, d=dtype: currents.__setitem__(d, args[0]))
        out = snn(spikes)
        hook.remove()
        assert out.dtype == torch.float32 and currents[dtype].dtype == torch.float32
        out.sum().backward()
        assert all(c.weight.grad.dtype == torch.float32 and c.weight.grad.abs().sum() > 0 for c in snn.convs)
        snn.zero_grad()
    exact, rounded = currents[None], currents[torch.bfloat16]
    assert not torch.equal(exact, rounded)  # bf16 really ran
    assert (rounded - exact).abs().max() <= 1e-2 * exact.abs().max()


def test_length_bucketed_batches_cover_every_row_once_with_similar_lengths():
    from snntext.models.spiking import length_bucketed_batches, token_lengths

    gen = torch.Generator().manual_seed(0)
    lengths = torch.randint(1, 30, (500,), generator=gen)
    ids = (torch.arange(30).expand(500, 30) < lengths[:, None]).long() * 5
    assert torch.equal(token_lengths(ids), lengths)
    for generator in (None, torch.Generator().manual_seed(1)):
        batches = length_bucketed_batches(ids, 16, generator, pool_batches=4)
        assert sorted(torch.cat(batches).tolist()) == list(range(500))
        spread = sum(int(lengths[b].max() - lengths[b].min()) for b in batches) / len(batches)
        assert spread < 8  # a random batch of 16 spans ~25 lengths
    again = length_bucketed_batches(ids, 16, torch.Generator().manual_seed(1), pool_batches=4)
    assert all(torch.equal(a, b) for a, b in zip(batches, again))


def test_evaluate_spiking_returns_predictions_in_input_order():
    """Rates of exactly 0 or 1 make the spikes deterministic, so bucketed (sorted, trimmed)
    evaluation must give each row the prediction of running that row alone, untrimmed."""
    from snntext.models.spiking import evaluate_spiking

    torch.manual_seed(0)
    snn = SpikingTextCNN(embedding_dim=6, num_classes=3, neurons_per_class=2, kernel_sizes=(2, 3), filters=8)
    table = (torch.rand(8, 6) > 0.5).float()
    table[0] = 0
    ids = torch.randint(1, 8, (40, 9))
    ids[torch.arange(9).expand(40, 9) >= torch.randint(1, 10, (40, 1))] = 0
    labels = torch.randint(0, 3, (40,))
    bucketed = evaluate_spiking(snn, ids, labels, table, timesteps=12, seed=0, batch_size=7)
    alone = torch.cat(
        [
            evaluate_spiking(
                snn,
                ids[i : i + 1],
                labels[i : i + 1],
                table,
                timesteps=12,
                seed=1,
                batch_size=1,
                record_rates=False,
                trim=False,
            ).predictions
            for i in range(len(ids))
        ]
    )
    assert len(set(alone.tolist())) > 1  # not a constant prediction
    assert torch.equal(bucketed.predictions, alone)


def latency_pair(seed=0):
    """tiny_pair's DNN and its SNN copy reading latency spikes."""
    dnn, rate_snn = tiny_pair(seed)
    snn = SpikingTextCNN(4, 2, neurons_per_class=2, kernel_sizes=(2, 3), filters=3, input_code="latency")
    snn.load_state_dict(rate_snn.state_dict())
    return dnn, snn


def test_latency_input_integrates_to_the_dnn_convolution_of_the_quantised_value():
    """Each input spike starts a held current: over T steps the first layer receives T x conv(x_q)."""
    from snntext.coding.latency import latency_code_mean, latency_spikes
    from snntext.models.spiking import full_width_convs

    dnn, snn = latency_pair()
    rates = torch.rand(5, 6, 4, generator=torch.Generator().manual_seed(1))
    rates[:, 4:] = 0.0
    T = 9
    currents = {}
    handles = [
        node.register_forward_pre_hook(lambda _m, inputs, k=k: currents.__setitem__(k, inputs[0]))
        for k, node in zip(snn.kernel_sizes, snn.conv_neurons)
    ]
    with torch.no_grad():
        snn(latency_spikes(rates, T))
        expected = full_width_convs(latency_code_mean(rates, T), [c.weight for c in dnn.convs])
    for handle in handles:
        handle.remove()
    for k, target in zip(snn.kernel_sizes, expected):
        torch.testing.assert_close(currents[k].sum(dim=0), T * target, rtol=1e-5, atol=1e-5)


def test_latency_counts_the_spike_events_not_the_steps_a_channel_is_on():
    _, snn = latency_pair()
    rates = torch.rand(2, 5, 4, generator=torch.Generator().manual_seed(2))
    rates[0, 3:] = 0.0
    rates[1, 0, :2] = 0.0
    T = 12
    from snntext.coding.latency import latency_spikes

    snn.record_rates = True
    with torch.no_grad():
        snn(latency_spikes(rates, T), full_length=7)
    events = int((rates > 0).sum())  # one spike per channel above 0
    assert snn.spike_counts["input"] == events
    assert snn.slot_counts["input"] == T * 2 * 7 * 4
    assert T * snn.firing_rates()["input"] == pytest.approx(events / (2 * 7 * 4))  # T x rate = spikes per input


def test_input_code_is_kept_in_the_checkpoint_and_only_when_not_rate(tmp_path):
    _, rate_snn = tiny_pair()
    assert "input_code" not in rate_snn.config and rate_snn.input_code == "rate"  # rate checkpoints keep their bytes
    _, snn = latency_pair()
    assert snn.config["input_code"] == "latency"
    save_checkpoint(tmp_path / "snn.pt", snn, "spiking", snn.config)
    loaded, _ = load_checkpoint(tmp_path / "snn.pt")
    assert loaded.input_code == "latency"
    with pytest.raises(ValueError, match="input_code must be one of rate, latency"):
        SpikingTextCNN(4, 2, input_code="signed")


def test_latency_evaluation_is_deterministic_and_fires_once_per_channel():
    _, snn = latency_pair()
    ids = torch.randint(1, 5, (9, 6), generator=torch.Generator().manual_seed(3))
    ids[:, 4:] = 0
    labels = torch.randint(0, 2, (9,), generator=torch.Generator().manual_seed(4))
    table = torch.rand(5, 4, generator=torch.Generator().manual_seed(5))
    table[0], table[2, :2] = 0, 0
    a = evaluate_spiking(snn, ids, labels, table, timesteps=20, seed=7, batch_size=4)
    b = evaluate_spiking(snn, ids, labels, table, timesteps=20, seed=8, batch_size=4)
    assert a.as_dict() == b.as_dict()  # no draw: the seed changes nothing
    assert 20 * a.firing_rates["input"] == pytest.approx(float((table[ids] > 0).float().mean()))
