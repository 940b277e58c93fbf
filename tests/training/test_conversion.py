import pytest
import torch

from snntext.core.config import NORMALISATIONS
from snntext.models.textcnn import TailoredTextCNN
from snntext.training.conversion import convert

STATS = {"pooled_max": 0.5, "pooled_p999": 0.25, "units_max": 2.0, "units_p999": 1.6}


def dnn():
    torch.manual_seed(0)
    return TailoredTextCNN(6, 2, neurons_per_class=3, kernel_sizes=(2, 3), filters=4).eval()


def test_none_copies_weights_exactly():
    net = dnn()
    snn = convert(net, "none", threshold=0.7, beta=0.9)
    for a, b in zip(net.convs, snn.convs):
        assert torch.equal(a.weight, b.weight)
    assert torch.equal(net.fc.weight, snn.fc.weight) and float(snn.pool_scale) == 1.0
    assert snn.out_neurons.v_threshold == 0.7 and snn.out_neurons.beta == 0.9


def test_max_weight_divides_each_conv_by_its_max_and_keeps_fc():
    net = dnn()
    snn = convert(net, "max_weight")
    for a, b in zip(net.convs, snn.convs):
        assert float(b.weight.detach().max()) == pytest.approx(1.0)
        assert torch.allclose(b.weight, a.weight / a.weight.max())
    assert torch.equal(net.fc.weight, snn.fc.weight)


@pytest.mark.parametrize("option,lam_pool,lam_out", [("data_max", 0.5, 2.0), ("data_p99.9", 0.25, 1.6)])
def test_data_based_scales_pool_input_and_fc(option, lam_pool, lam_out):
    net = dnn()
    snn = convert(net, option, STATS)
    assert float(snn.pool_scale) == pytest.approx(1 / lam_pool)
    assert torch.allclose(snn.fc.weight, net.fc.weight * lam_pool / lam_out)
    for a, b in zip(net.convs, snn.convs):
        assert torch.equal(a.weight, b.weight)


def test_does_not_touch_the_dnn_and_rejects_unknown():
    net = dnn()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    for option in NORMALISATIONS:
        convert(net, option, STATS)
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    with pytest.raises(ValueError, match="normalisation"):
        convert(net, "bogus")
    with pytest.raises(ValueError, match="statistics"):
        convert(net, "data_max")


def test_rate_coded_dnn_accuracy_is_seeded_and_exact_for_binary_rates():
    from snntext.data.batching import embed
    from snntext.training.conversion import rate_coded_dnn_accuracy

    torch.manual_seed(0)
    dnn = TailoredTextCNN(6, 2, neurons_per_class=2, kernel_sizes=(2, 3), filters=5, zero_sum_filters=False).eval()
    table = torch.rand(12, 6)
    table[0] = 0
    ids = torch.randint(1, 12, (64, 7))
    with torch.no_grad():
        clean_pred = dnn(embed(ids, table)).argmax(1)
    labels = clean_pred.clone()  # the clean DNN scores 100% by construction
    labels[:32] = 1 - labels[:32]  # ... 50% on these labels
    run = lambda steps, seed: rate_coded_dnn_accuracy(
        dnn, ids, labels, table, timesteps=steps, seed=seed, batch_size=16
    )
    assert run(5, 1) == run(5, 1)
    assert run(20000, 1) == pytest.approx(0.5, abs=0.02)  # T -> infinity: the clean DNN
    binary = (table > 0.5).float()  # rates 0/1 draw no noise at any T
    with torch.no_grad():
        exact = float((dnn(embed(ids, binary)).argmax(1) == labels).float().mean())
    assert rate_coded_dnn_accuracy(dnn, ids, labels, binary, timesteps=3, seed=7) == exact


def test_latency_conversion_keeps_the_weights_and_the_dnn_ceiling_reads_the_quantised_values():
    """Under the latency code the SNN is the DNN's weights reading latency spikes, and the DNN's ceiling at T
    is the DNN on x_q = (T - t(x)) / T, what that SNN's first layer integrates (no draw, so no seed)."""
    from snntext.coding.latency import latency_code_mean
    from snntext.data.batching import embed
    from snntext.training.conversion import rate_coded_dnn_accuracy

    torch.manual_seed(0)
    dnn = TailoredTextCNN(6, 2, neurons_per_class=2, kernel_sizes=(2, 3), filters=5, zero_sum_filters=False).eval()
    snn = convert(dnn, "data_max", {"pooled_max": 2.0, "units_max": 4.0}, input_code="latency")
    assert snn.input_code == "latency" and snn.config["input_code"] == "latency"
    for a, b in zip(snn.convs, dnn.convs):
        assert torch.equal(a.weight, b.weight)
    table = torch.rand(12, 6)
    table[0] = 0
    ids = torch.randint(1, 12, (64, 7))
    labels = torch.randint(0, 2, (64,))
    with torch.no_grad():
        expected = float((dnn(latency_code_mean(embed(ids, table), 4)).argmax(1) == labels).float().mean())
    run = lambda seed: rate_coded_dnn_accuracy(dnn, ids, labels, table, timesteps=4, seed=seed, code="latency")
    assert run(1) == run(2) == expected
