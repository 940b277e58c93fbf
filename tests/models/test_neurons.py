import pytest
import torch
from spikingjelly.activation_based import functional, neuron

from snntext.models.neurons import LeakyNode, Surrogate


def reference_leaky(x_seq, beta, threshold, surrogate):
    """The definition written plainly, with autograd through every step (snnTorch Leaky)."""
    u = torch.zeros_like(x_seq[0])
    s = torch.zeros_like(x_seq[0])
    out = []
    for t in range(x_seq.shape[0]):
        u = beta * u + x_seq[t] - s.detach() * threshold
        s = surrogate(u - threshold)
        out.append(s)
    return torch.stack(out)


def test_trace_by_hand():
    # beta = 0.5, threshold = 1: U = 0.5 U_prev + I - S_prev
    x = torch.tensor([0.8, 0.9, 0.2, 1.5, 0.0]).view(5, 1)
    node = LeakyNode(threshold=1.0, beta=0.5)
    spikes = node(x).view(-1).tolist()
    # U: 0.8 -> 0.4+0.9=1.3 (spike) -> 0.65+0.2-1=-0.15 -> -0.075+1.5=1.425 (spike) -> 0.7125-1=-0.2875
    assert spikes == [0.0, 1.0, 0.0, 1.0, 0.0]
    assert node.v.item() == pytest.approx(-0.2875)
    # spikingjelly's LIF subtracts beta*threshold instead: U after step 3 would be 0.65+0.2-0.5
    functional.reset_net(node)
    assert node.v == 0.0


def test_strict_threshold():
    node = LeakyNode(threshold=1.0, beta=1.0)
    assert node(torch.tensor([[1.0], [0.5]])).view(-1).tolist() == [0.0, 1.0]


def test_beta_one_equals_spikingjelly_ifnode():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(60, 4, 50, generator=g) * 1.2 - 0.1
    ours = LeakyNode(threshold=1.0, beta=1.0)(x)
    theirs = neuron.IFNode(v_threshold=1.0, v_reset=None, step_mode="m")(x)
    assert ours.sum() > 100
    assert torch.equal(ours, theirs)


@pytest.mark.parametrize("beta", [1.0, 0.9])
@pytest.mark.parametrize("name", ["fast_sigmoid", "atan", "sigmoid"])
def test_fast_path_matches_autograd_reference(beta, name):
    g = torch.Generator().manual_seed(1)
    x = (torch.rand(30, 3, 7, generator=g) * 1.5 - 0.2).requires_grad_()
    w = torch.randn(30, 3, 7, generator=g)
    node = LeakyNode(threshold=1.0, beta=beta, surrogate=name, slope=5.0)
    ours = node(x)
    (grad_ours,) = torch.autograd.grad((ours * w).sum(), x)
    ref = reference_leaky(x, beta, 1.0, Surrogate(name, 5.0))
    (grad_ref,) = torch.autograd.grad((ref * w).sum(), x)
    assert torch.equal(ours, ref)
    assert torch.allclose(grad_ours, grad_ref, atol=1e-5)
    # single-step mode runs the same definition
    single = LeakyNode(threshold=1.0, beta=beta, surrogate=name, slope=5.0, step_mode="s")
    assert torch.equal(torch.stack([single(x[t]) for t in range(30)]), ours)


def test_fast_sigmoid_derivative():
    x = torch.tensor([0.0, 0.1, -0.2], requires_grad=True)
    Surrogate("fast_sigmoid", 25.0)(x).sum().backward()
    assert torch.allclose(x.grad, 1 / (1 + 25 * x.detach().abs()) ** 2)


def test_calls_continue_one_trajectory():
    x = torch.rand(20, 2, 5, generator=torch.Generator().manual_seed(2)) * 1.3
    whole = LeakyNode(beta=0.8)(x)
    node = LeakyNode(beta=0.8)
    halves = torch.cat([node(x[:10]), node(x[10:])])
    assert torch.equal(whole, halves)


@pytest.mark.parametrize("beta", [1.0, 0.8])
def test_inference_loop_matches_training_loop(beta):
    # without autograd the node keeps one membrane buffer; the spikes and the state must not change
    x = torch.rand(40, 3, 6, generator=torch.Generator().manual_seed(3)) * 1.4 - 0.1
    trained, evaluated = LeakyNode(beta=beta), LeakyNode(beta=beta)
    with_grad = trained(x.clone().requires_grad_())
    with torch.no_grad():
        without = evaluated(x)
    assert with_grad.sum() > 20
    assert torch.equal(with_grad, without)
    assert torch.equal(trained.v, evaluated.v) and torch.equal(trained.spike, evaluated.spike)
    with torch.no_grad():  # and a second call continues the trajectory from that state alike
        assert torch.equal(trained(x), evaluated(x))


def test_unused_membrane_output_needs_no_gradient():
    x = (torch.rand(10, 4, generator=torch.Generator().manual_seed(4)) * 2).requires_grad_()
    node = LeakyNode()
    node(x).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_rejects_bad_surrogate():
    with pytest.raises(ValueError, match="surrogate"):
        LeakyNode(surrogate="nope")
