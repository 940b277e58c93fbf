"""The NIR export (snntext.cli.nir_export): written, read back with nir.read, and run by nirtorch's generic
graph loader (nirtorch.nir_to_torch) with a node map that gives NIR's neuron nodes their discrete-time
meaning; the run must reproduce the SpikingTextCNN's output spikes exactly. No data/ needed."""

from __future__ import annotations

import numpy as np
import pytest
import torch

nir = pytest.importorskip("nir")
nirtorch = pytest.importorskip("nirtorch")

from snntext.cli.nir_export import export_snn, snn_to_nir, spikes_to_nir_layout, write_nir  # noqa: E402
from snntext.core.errors import SnntextError  # noqa: E402
from snntext.models.checkpoint import save_checkpoint  # noqa: E402
from snntext.models.spiking import SpikingTextCNN  # noqa: E402

LENGTH, DIM, STEPS = 9, 8, 30


class Membrane(torch.nn.Module):
    """nir.I / nir.LI stepped by forward Euler at the graph's dt: v <- decay v + gain x."""

    def __init__(self, r, decay=None):
        super().__init__()
        r = torch.from_numpy(np.asarray(r, dtype=np.float32))
        self.decay = None if decay is None else torch.from_numpy(np.asarray(decay, dtype=np.float32))
        self.gain = r if decay is None else r * (1 - self.decay)

    def forward(self, x, state=None):
        v = self.gain * x if state is None else (state if self.decay is None else self.decay * state) + self.gain * x
        return v, v


class Neuron(torch.nn.Module):
    """nir.IF / nir.LIF: reset to v_reset as NIR defines it, or (subtract=True) the SNN's own reset,
    U[t] = decay U[t-1] + gain I[t] - threshold S[t-1]. State: (membrane, last spikes)."""

    def __init__(self, r, threshold, v_reset, decay=None, subtract=False):
        super().__init__()
        self.membrane = Membrane(r, decay)
        self.threshold = torch.from_numpy(np.asarray(threshold, dtype=np.float32))
        self.v_reset = torch.from_numpy(np.asarray(v_reset, dtype=np.float32))
        self.subtract = subtract

    def forward(self, x, state=None):
        v, _ = self.membrane(x, None if state is None else state[0])
        if self.subtract and state is not None:
            v = v - state[1] * self.threshold
        spikes = (v > self.threshold).to(x.dtype)
        if not self.subtract:
            v = torch.where(spikes > 0, self.v_reset, v)
        return spikes, (v, spikes)


def node_map(dt: float, honour_metadata_reset: bool = False) -> dict:
    def decay(tau):
        return 1 - dt / np.asarray(tau)

    def neuron(node, leaky):
        subtract = honour_metadata_reset and node.metadata.get("reset") == "subtract"
        return Neuron(node.r, node.v_threshold, node.v_reset, decay(node.tau) if leaky else None, subtract)

    class Threshold(torch.nn.Module):
        def __init__(self, threshold):
            super().__init__()
            self.threshold = torch.from_numpy(threshold)

        def forward(self, x):
            return (x > self.threshold).to(x.dtype)

    class Scale(torch.nn.Module):
        def __init__(self, scale):
            super().__init__()
            self.scale = torch.from_numpy(scale)

        def forward(self, x):
            return x * self.scale

    return {
        nir.I: lambda node: Membrane(node.r),
        nir.LI: lambda node: Membrane(node.r, decay(node.tau)),
        nir.Threshold: lambda node: Threshold(node.threshold),
        nir.Scale: lambda node: Scale(node.scale),
        nir.IF: lambda node: neuron(node, False),
        nir.LIF: lambda node: neuron(node, True),
        # NIR's Flatten dims count the node's own shape; the executor runs a batch, one dim in front
        nir.Flatten: lambda node: torch.nn.Flatten(int(node.start_dim) + 1, int(node.end_dim)),
    }


def run_graph(graph, spikes: torch.Tensor, **kwargs) -> torch.Tensor:
    """Output spikes [T, B, C*N] of the graph, stepped one time step per call."""
    module = nirtorch.nir_to_torch(graph, node_map(float(graph.metadata["dt"]), **kwargs))
    state, outs = None, []
    with torch.no_grad():
        for x in spikes_to_nir_layout(spikes):
            out, state = module(x, state)
            outs.append(out)
    return torch.stack(outs)


def tiny_snn(beta: float = 1.0, seed: int = 0) -> SpikingTextCNN:
    torch.manual_seed(seed)
    model = SpikingTextCNN(DIM, 3, neurons_per_class=4, kernel_sizes=(2, 3, 4), filters=6, threshold=0.4, beta=beta)
    model.pool_scale.fill_(1.7)
    return model.eval()


def input_spikes(batch: int = 6, seed: int = 1) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    rates = torch.rand(batch, LENGTH, DIM, generator=generator)
    rates[:, 6:] = 0.0  # padding rows, as short sentences have
    return (torch.rand(STEPS, batch, LENGTH, DIM, generator=generator) < rates).float()


@pytest.mark.parametrize("beta", [1.0, 0.85])
def test_exact_graph_read_back_and_run_by_nirtorch_reproduces_the_snn(tmp_path, beta):
    model, spikes = tiny_snn(beta), input_spikes()
    with torch.no_grad():
        expected = model(spikes)
    counts = model.class_counts(expected).sum(0)
    assert expected.sum() > 50 and len({tuple(row) for row in counts.tolist()}) > 1  # a meaningful comparison
    path = write_nir(snn_to_nir(model, LENGTH, timesteps=STEPS, labels=["a", "b", "c"]), tmp_path / "net.nir")
    graph = nir.read(path)
    got = run_graph(graph, spikes)
    assert torch.equal(got, expected)
    assert torch.equal(model.class_counts(got).sum(0), counts)
    assert graph.metadata["form"] == "exact" and int(graph.metadata["timesteps"]) == STEPS
    assert set(tmp_path.iterdir()) == {path}  # no temp file left beside it


def test_graph_parameters_match_the_model(tmp_path):
    model = tiny_snn(0.9)
    graph = nir.read(write_nir(snn_to_nir(model, LENGTH), tmp_path / "net.nir"))
    fc = model.fc.weight.detach().numpy()
    for i, (k, conv) in enumerate(zip(model.kernel_sizes, model.convs)):
        node = graph.nodes[f"conv{k}"]
        assert isinstance(node, nir.Conv1d) and node.weight.shape == (6, DIM, k)
        np.testing.assert_array_equal(node.weight, conv.weight.detach().numpy()[:, 0].transpose(0, 2, 1))
        assert not node.bias.any()
        positions = LENGTH - k + 1
        pool = graph.nodes[f"pool{k}"].weight
        assert pool.shape == (6, 6 * positions)
        np.testing.assert_allclose(pool[2, 2 * positions : 3 * positions], 1.7 / positions, rtol=1e-6)
        assert np.count_nonzero(pool) == 6 * positions
        np.testing.assert_array_equal(graph.nodes[f"fc{k}"].weight, fc[:, 6 * i : 6 * (i + 1)])
        assert np.all(graph.nodes[f"conv{k}_neurons_spk"].threshold == np.float32(0.4))
        assert np.all(graph.nodes[f"conv{k}_neurons_reset"].scale == np.float32(-0.4))
        mem = graph.nodes[f"pool{k}_neurons_mem"]
        assert isinstance(mem, nir.LI)
        np.testing.assert_allclose(1 - float(graph.metadata["dt"]) / mem.tau, 0.9, rtol=1e-6)
    assert sum(1 for _, dst in graph.edges if dst == "out_mem") == 4  # fc3, fc4, fc5 + the reset loop


@pytest.mark.parametrize("beta", [1.0, 0.85])
def test_neuron_form_uses_if_or_lif_and_says_its_reset(tmp_path, beta):
    model, spikes = tiny_snn(beta), input_spikes()
    graph = nir.read(write_nir(snn_to_nir(model, LENGTH, form="neurons"), tmp_path / "net.nir"))
    kind = nir.IF if beta == 1.0 else nir.LIF
    neurons = [n for n in graph.nodes.values() if isinstance(n, (nir.IF, nir.LIF))]
    assert len(neurons) == 7 and all(isinstance(n, kind) for n in neurons)
    assert all(n.metadata["reset"] == "subtract" and not n.v_reset.any() for n in neurons)
    with torch.no_grad():
        expected = model(spikes)
    # a reader that honours the metadata's subtractive reset is exact ...
    assert torch.equal(run_graph(graph, spikes, honour_metadata_reset=True), expected)
    # ... NIR's own reset-to-zero is not: it drops the overshoot, so the counts differ
    assert not torch.equal(run_graph(graph, spikes), expected)


def test_export_snn_from_a_checkpoint(tmp_path):
    model = tiny_snn()
    save_checkpoint(tmp_path / "snn.pt", model, "spiking", model.config)
    out = export_snn(tmp_path / "snn.pt", tmp_path / "out" / "mr.nir", LENGTH, timesteps=7, labels=["x", "y", "z"])
    graph = nir.read(out)
    assert graph.metadata["labels"] == "x,y,z" and int(graph.metadata["input_length"]) == LENGTH
    assert list(graph.nodes["input"].input_type["input"]) == [DIM, LENGTH]
    with pytest.raises(SnntextError, match="largest kernel"):
        export_snn(tmp_path / "snn.pt", tmp_path / "short.nir", 3)
    with pytest.raises(ValueError, match="form"):
        snn_to_nir(model, LENGTH, form="loihi")
    (tmp_path / "taken").mkdir()
    with pytest.raises(SnntextError, match=r"taken: cannot write the NIR graph \(Is a directory\)"):
        export_snn(tmp_path / "snn.pt", tmp_path / "taken", LENGTH)
    assert not list((tmp_path / "taken").iterdir()) and not list(tmp_path.glob(".taken*"))


def test_a_latency_net_exports_its_held_input_current_and_the_graph_reproduces_it(tmp_path):
    from snntext.coding.latency import latency_spikes

    rate = tiny_snn()
    model = SpikingTextCNN(DIM, 3, neurons_per_class=4, kernel_sizes=(2, 3, 4), filters=6, threshold=0.4,
                           input_code="latency").eval()  # fmt: skip
    model.load_state_dict(rate.state_dict())
    values = torch.rand(6, LENGTH, DIM, generator=torch.Generator().manual_seed(1))
    values[:, 6:] = 0.0
    spikes = latency_spikes(values, STEPS)
    with torch.no_grad():
        expected = model(spikes)
    assert expected.sum() > 50
    graph = nir.read(write_nir(snn_to_nir(model, LENGTH, timesteps=STEPS), tmp_path / "net.nir"))
    assert ("input", "input_current") in graph.edges and ("input_current", "conv2") in graph.edges
    assert "round((1 - x)(T - 1))" in graph.metadata["input_encoding"]
    got = run_graph(graph, spikes)
    # The held currents are integers up to T, not 0/1 spikes, so the two convolution kernels' float32 sums may
    # round apart and move a threshold crossing by a step (each side differs as much from a float64 run); the
    # readout stays the same
    assert (got != expected).float().mean() < 0.02
    assert torch.equal(model.class_counts(got).sum(0), model.class_counts(expected).sum(0))
