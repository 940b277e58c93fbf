"""A fine-tuned SpikingTextCNN as a NIR graph (Neuromorphic Intermediate Representation, PyPI `nir`).

The graph is built for one fixed input length L (the dataset's max_len): NIR has no "any length"
convolution whose pooling divides by the full L-k+1. The input node takes one step's spikes as
[D, L] (channels = embedding dimensions, positions along the convolution). Per kernel size k:

  input -> conv{k}    Conv1d, weight [F, D, k] (the Conv2d's [F, 1, k, D] permuted), zero bias
        -> conv{k} neurons over [F, L-k+1]
        -> flat{k}    Flatten to F*(L-k+1) (channel-major)
        -> pool{k}    Linear [F, F*(L-k+1)]: the average pooling, pool_scale / (L-k+1) on each
                      filter's own positions, 0 elsewhere
        -> pool{k} neurons over [F]
        -> fc{k}      Linear [C*N, F]: the block of fc's columns that reads branch k
  fc3, fc4, fc5 -> out neurons [C*N] -> output
The concatenation before fc becomes three Linear blocks: edges entering one NIR node are summed.
A latency-coded network (input_code "latency") holds each input spike as a current: an integrator
input_current = nir.I(r=1) over [D, L] sits between the input and the convolutions (its state, the
number of spikes so far per channel, is what they read).
Linear is used, not Affine, because the network has no bias anywhere.

Neurons (snntext.models.neurons): U[t] = beta U[t-1] + I[t] - threshold S[t-1], S[t] = H(U[t] - threshold),
strict step, reset by SUBTRACTING the threshold. NIR's IF and LIF reset TO v_reset instead and have
no field for a subtractive reset. Two forms are therefore offered:

  form="exact" (default): each population is a membrane, a threshold and a self-connection,
      mem  = nir.I(r=1)                          (beta = 1)
             nir.LI(tau=dt/(1-beta), r=tau/dt, v_leak=0)   (beta < 1; forward Euler at dt gives
                                                  U[t] = beta U[t-1] + I[t])
      spk  = nir.Threshold(threshold)            (strict: v > threshold, as here)
      reset = nir.Scale(-threshold)              spk -> reset -> mem
    The recurrent edge delivers the last step's spikes, so a discrete-time reader computes the
    equation above exactly (the subtraction is not decayed by beta, as in snnTorch's Leaky).
  form="neurons": one nir.IF (beta = 1) or nir.LIF (beta < 1, same tau and r) per population, with
    v_reset = 0. What neuromorphic back-ends map to their native neurons, but reset-to-zero drops
    the membrane's overshoot above threshold, so spike counts come out lower than the SNN's; each
    node's metadata says {"reset": "subtract"} so that a reader that can subtract may.

Time: NIR is continuous-time; the graph's metadata gives dt (the snnTorch exporter's 1e-4 s, used
for tau) and the number of steps T the network was fine-tuned with. The readout (population sums,
argmax) is not part of the graph: it is described in the metadata.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from snntext.core.atomic import atomic_path
from snntext.core.errors import SnntextError

FORMS = ("exact", "neurons")
DT = 1e-4  # seconds per step, as snnTorch's NIR export assumes


def _population(
    nodes: dict, edges: list, name: str, shape: tuple[int, ...], threshold: float, beta: float, form: str
) -> tuple[str, str]:
    """Add one neuron population; returns (node taking its input current, node giving its spikes)."""
    import nir

    ones = np.ones(shape, dtype=np.float32)
    leak = {}
    if beta < 1.0:
        tau = DT / (1.0 - beta)
        leak = dict(tau=ones * tau, r=ones * (tau / DT), v_leak=ones * 0.0)
    if form == "neurons":
        meta = {"reset": "subtract", "beta": beta}
        if beta < 1.0:
            nodes[name] = nir.LIF(**leak, v_threshold=ones * threshold, v_reset=ones * 0.0, metadata=meta)
        else:
            nodes[name] = nir.IF(r=ones, v_threshold=ones * threshold, v_reset=ones * 0.0, metadata=meta)
        return name, name
    mem, spk, reset = f"{name}_mem", f"{name}_spk", f"{name}_reset"
    nodes[mem] = nir.LI(**leak) if beta < 1.0 else nir.I(r=ones)
    nodes[spk] = nir.Threshold(threshold=ones * threshold)
    nodes[reset] = nir.Scale(scale=ones * -threshold)
    edges += [(mem, spk), (spk, reset), (reset, mem)]
    return mem, spk


def snn_to_nir(
    model, length: int, *, form: str = "exact", timesteps: int | None = None, labels: list[str] | None = None
):
    """The NIRGraph of a SpikingTextCNN for inputs of `length` positions (see the module docstring)."""
    import nir

    if form not in FORMS:
        raise ValueError(f"form must be one of {FORMS}, got {form!r}")
    kernel_sizes = model.kernel_sizes
    if length < max(kernel_sizes):
        raise ValueError(f"length {length} is shorter than the largest kernel {max(kernel_sizes)}")
    config = model.config
    threshold, beta = float(config["threshold"]), float(config["beta"])
    dim, filters = config["embedding_dim"], config["filters"]
    outputs = model.num_classes * model.neurons_per_class
    pool_scale = float(model.pool_scale)
    fc = model.fc.weight.detach().cpu().numpy().astype(np.float32)

    nodes: dict = {"input": nir.Input(input_type={"input": np.array([dim, length])})}
    edges: list = []
    source = "input"
    latency = getattr(model, "input_code", "rate") == "latency"
    if latency:  # each input spike held as a current from its step on (snntext.coding.latency)
        source = "input_current"
        nodes[source] = nir.I(r=np.ones((dim, length), dtype=np.float32))
        edges.append(("input", source))
    out_in, out_spk = _population(nodes, edges, "out", (outputs,), threshold, beta, form)
    for i, (k, conv) in enumerate(zip(kernel_sizes, model.convs)):
        positions = length - k + 1
        weight = conv.weight.detach().cpu().numpy().astype(np.float32)  # [F, 1, k, D]
        nodes[f"conv{k}"] = nir.Conv1d(
            input_shape=length,
            weight=np.ascontiguousarray(weight[:, 0].transpose(0, 2, 1)),
            stride=1,
            padding=0,
            dilation=1,
            groups=1,
            bias=np.zeros(filters, dtype=np.float32),
        )
        conv_in, conv_spk = _population(nodes, edges, f"conv{k}_neurons", (filters, positions), threshold, beta, form)
        nodes[f"flat{k}"] = nir.Flatten(input_type={"input": np.array([filters, positions])}, start_dim=0, end_dim=-1)
        pool = np.kron(np.eye(filters, dtype=np.float32), np.ones((1, positions), dtype=np.float32))
        nodes[f"pool{k}"] = nir.Linear(weight=pool * np.float32(pool_scale / positions))
        pool_in, pool_spk = _population(nodes, edges, f"pool{k}_neurons", (filters,), threshold, beta, form)
        nodes[f"fc{k}"] = nir.Linear(weight=np.ascontiguousarray(fc[:, i * filters : (i + 1) * filters]))
        edges += [
            (source, f"conv{k}"),
            (f"conv{k}", conv_in),
            (conv_spk, f"flat{k}"),
            (f"flat{k}", f"pool{k}"),
            (f"pool{k}", pool_in),
            (pool_spk, f"fc{k}"),
            (f"fc{k}", out_in),
        ]
    nodes["output"] = nir.Output(output_type={"output": np.array([outputs])})
    edges.append((out_spk, "output"))
    metadata = {
        "source": "snntext SpikingTextCNN",
        "form": form,
        "dt": DT,
        "reset": "subtract",
        "threshold": threshold,
        "beta": beta,
        "input_length": length,
        "num_classes": model.num_classes,
        "neurons_per_class": model.neurons_per_class,
        "readout": "sum output spikes over T per class block (class c owns units c*N..c*N+N-1); argmax, ties to the lowest class",
        "input_encoding": (
            "one spike per channel at step round((1 - x)(T - 1)) of the dataset's table rows (none for x = 0), "
            "laid out [D, L], padding = 0; held by input_current"
            if latency
            else "per step, Bernoulli(rate) spikes of the dataset's table rows, laid out [D, L], padding = 0"
        ),
    }
    if timesteps is not None:
        metadata["timesteps"] = int(timesteps)
    if labels:
        metadata["labels"] = ",".join(labels)
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=metadata)


def write_nir(graph, path: str | Path) -> Path:
    """nir.write, atomically (temp file beside `path`, then rename); an unwritable path: SnntextError."""
    import nir

    path = Path(path)
    try:
        with atomic_path(path) as temp:
            nir.write(temp, graph)
    except OSError as err:
        raise SnntextError(
            f"{path}: cannot write the NIR graph ({err.strerror or err}); the file was not written"
        ) from None
    return path


def export_snn(
    snn_path: Path,
    out: Path,
    length: int,
    *,
    form: str = "exact",
    timesteps: int | None = None,
    labels: list[str] | None = None,
) -> Path:
    """Load a fine-tuned SNN checkpoint and write its NIR graph to `out`."""
    from snntext.models.checkpoint import load_checkpoint
    from snntext.models.spiking import SpikingTextCNN

    model, _ = load_checkpoint(snn_path)
    if not isinstance(model, SpikingTextCNN):
        raise SnntextError(f"{snn_path}: holds a {type(model).__name__}, not a spiking network")
    try:
        graph = snn_to_nir(model, length, form=form, timesteps=timesteps, labels=labels)
    except ValueError as err:
        raise SnntextError(f"{snn_path}: cannot export: {err}") from None
    return write_nir(graph, out)


def spikes_to_nir_layout(spikes: torch.Tensor) -> torch.Tensor:
    """Input spikes as the network takes them, [T, B, L, D], in the graph's per-step layout [T, B, D, L]."""
    return spikes.transpose(2, 3)
