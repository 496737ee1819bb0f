"""HLOP networks: LIF dynamics by hand, gradient projection against explicit outer products, the forward pass
untouched, exact protection with an exact basis, the subspace budget warning, ACC/BWT, NIR round trip."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engramsim.errors import ValidationError
from engramsim.networks.hlop import (
    HLOP,
    RateMLP,
    SpikingMLP,
    SVDProjection,
    Task,
    continual_metrics,
    export_nir,
    import_nir,
    project_gradient,
    run_nir,
    train_continual,
)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_lif_neuron_by_hand():
    # one input, one LIF neuron (beta 0.5, threshold 1, reset to zero), readout weight 1, input current 0.6:
    # mem 0.6, 0.9, 1.05 -> spike, 0.6, 0.9, 1.05 -> spike: 2 spikes in 6 steps, so the summed readout is 2
    net = SpikingMLP((1, 1, 1), timesteps=6, beta=0.5, threshold=1.0)
    with torch.no_grad():
        net.layers[0].weight.fill_(1.0)
        net.layers[1].weight.fill_(1.0)
    out, inputs = net(torch.tensor([[0.6], [0.45], [2.0]]), record=True)
    # 0.45: 0.45, 0.675, 0.7875, 0.84, 0.87, 0.885 -> never; 2.0: a spike every step
    assert out[:, 0].tolist() == pytest.approx([2.0, 0.0, 6.0])
    assert inputs[1][:, 0].tolist() == pytest.approx([2 / 6, 0.0, 1.0])  # firing rates seen by the readout


def test_projected_gradient_equals_projected_presynaptic_activity():
    """G (I - H^T H) against the sum over time of delta_t (x_t - H^T H x_t)^T, built by hand."""
    rng = np.random.default_rng(0)
    n_in, n_out, steps = 9, 4, 5
    h, _ = np.linalg.qr(rng.standard_normal((n_in, 3)))
    h = h.T
    deltas = rng.standard_normal((steps, n_out))
    xs = rng.standard_normal((steps, n_in))
    grad = sum(np.outer(d, x) for d, x in zip(deltas, xs))
    want = sum(np.outer(d, x - h.T @ (h @ x)) for d, x in zip(deltas, xs))
    got = project_gradient(torch.tensor(grad), torch.tensor(h))
    assert np.allclose(got.numpy(), want, atol=1e-12)


def test_hlop_does_not_touch_the_forward_pass():
    torch.manual_seed(0)
    x = torch.randn(16, 20)
    for net in (RateMLP((20, 12, 8, 3), seed=1), SpikingMLP((20, 12, 8, 3), timesteps=4, seed=1)):
        before = net(x).detach().clone()
        weights = [layer.weight.detach().clone() for layer in net.layers]
        hlop = HLOP(net.layers, 4, 2, seed=0)
        hlop.begin_task()
        for _ in range(3):
            _, inputs = net(x, record=True)
            hlop.observe(inputs)
        hlop.end_task()
        hlop.begin_task()
        assert torch.equal(net(x), before)
        assert all(torch.equal(layer.weight, w) for layer, w in zip(net.layers, weights))


def test_an_exact_basis_protects_old_outputs_exactly():
    """A linear layer trained on new inputs with gradients projected out of the old inputs' span keeps its
    answers on the old inputs (to float32 rounding), while plain SGD changes them."""
    rng = np.random.default_rng(2)
    old_basis = rng.standard_normal((5, 30))
    x_old = torch.tensor(rng.standard_normal((40, 5)) @ old_basis, dtype=torch.float32)
    x_new = torch.tensor(rng.standard_normal((64, 30)), dtype=torch.float32)
    y_new = torch.tensor(rng.integers(0, 4, 64))
    changes = {}
    for protect in (True, False):
        net = RateMLP((30, 4), seed=0)
        proj = SVDProjection(net.layers, energy=1.0)
        proj.begin_task()
        proj.end_task([x_old.numpy()])
        assert proj.protected() == [5]
        before = net(x_old).detach().clone()
        opt = torch.optim.SGD(net.parameters(), lr=0.5)
        for _ in range(20):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(x_new), y_new).backward()
            if protect:
                proj.project_gradients()
            opt.step()
        changes[protect] = float((net(x_old).detach() - before).abs().max())
    assert changes[True] < 1e-4 < 0.1 < changes[False]


def test_subspace_budget_warning():
    net = RateMLP((20, 10, 4), seed=0)
    hlop = HLOP(net.layers, (8, 9), (4, 4))
    hlop.begin_task()  # 9 of 10 in the hidden layer: within 90 %
    with pytest.warns(RuntimeWarning, match="layer 1: 10 lateral neurons for an input of dimension 10"):
        hlop.end_task()
        hlop.begin_task()
    assert [lat.k for lat in hlop.lateral] == [12, 10]


def test_continual_metrics_by_hand():
    r = [[0.9, 0.1, 0.2],
         [0.7, 0.8, 0.1],
         [0.6, 0.5, 0.95]]
    acc, bwt = continual_metrics(r)
    assert acc == pytest.approx((0.6 + 0.5 + 0.95) / 3)
    assert bwt == pytest.approx(((0.6 - 0.9) + (0.5 - 0.8)) / 2)
    with pytest.raises(ValidationError, match="r must be"):
        continual_metrics([[1.0]])


def _toy_tasks(n_tasks=3, seed=2, n=60, dim=16, n_shared=8):
    """Four-class tasks, each with its own class centres in a 16-dimensional subspace of 64 inputs; the
    subspaces share 8 directions, where a new task's learning overwrites the old ones' unless protected."""
    rng = np.random.default_rng(seed)
    shared = rng.standard_normal((64, n_shared))
    tasks = []
    for _ in range(n_tasks):
        centres = rng.standard_normal((4, dim))
        embed, _ = np.linalg.qr(np.hstack([shared, rng.standard_normal((64, dim - n_shared))]))
        labels = rng.integers(0, 4, 2 * n)
        x = (centres[labels] + rng.standard_normal((2 * n, dim)) * 0.4) @ embed.T
        x = torch.tensor(x, dtype=torch.float32)
        y = torch.tensor(labels)
        tasks.append(Task(x[:n], y[:n], x[n:], y[n:]))
    return tasks


def test_hlop_and_svd_keep_old_tasks_that_plain_training_forgets():
    tasks = _toy_tasks()
    results = {m: train_continual(RateMLP((64, 32, 32, 4), seed=0), tasks, m, epochs=8, lr=0.1, batch_size=10,
                                  hlop_sizes=(16, 16, 16), hlop_increments=(16, 8, 8), svd_energy=0.99)
               for m in ("baseline", "hlop", "svd")}
    for res in results.values():
        assert res.accuracy.shape == (3, 3) and np.all(np.diag(res.accuracy) > 0.75)
    assert results["baseline"].bwt < -0.15
    assert results["hlop"].bwt > -0.03 and results["svd"].bwt > -0.03
    d = results["hlop"].diagnostics
    assert [rec["k"] for rec in d[-1]] == [48.0, 32.0, 32.0]
    assert all(rec["orthonormality_error"] < 0.1 for task in d for rec in task)


def test_bad_arguments_are_refused():
    tasks = _toy_tasks(2)
    with pytest.raises(ValidationError, match="method"):
        train_continual(RateMLP((64, 4)), tasks, "ewc")
    with pytest.raises(ValidationError, match="epochs"):
        train_continual(RateMLP((64, 4)), tasks, "hlop", epochs=0)
    with pytest.raises(ValueError, match="tasks"):
        train_continual(RateMLP((64, 4)), tasks[:1], "hlop")
    with pytest.raises(ValueError, match="x must be a"):
        RateMLP((64, 4))(torch.zeros(3, 5))
    with pytest.raises(ValueError, match="sizes"):
        HLOP(RateMLP((64, 8, 4)).layers, (1, 2, 3))
    with pytest.raises(ValidationError, match="timesteps"):
        SpikingMLP(timesteps=0)


def test_nir_round_trip_gives_the_same_predictions():
    tasks = _toy_tasks(2, seed=4)
    net = SpikingMLP((64, 24, 16, 4), timesteps=5, threshold=0.5, seed=0)
    train_continual(net, tasks, "hlop", epochs=3, lr=0.1, batch_size=10, hlop_sizes=8, hlop_increments=4)
    x = torch.cat([t.x_test for t in tasks])
    with torch.no_grad():
        want, inputs = net(x, record=True)
    assert float(inputs[1].mean()) > 0.01 and float(inputs[2].mean()) > 0.01  # the hidden layers do spike
    graph = export_nir(net)
    assert [type(graph.nodes[k]).__name__ for k in ("0", "1", "2", "3", "4")] == [
        "Linear", "LIF", "Linear", "LIF", "Linear"]
    got = run_nir(import_nir(graph), x, net.timesteps)
    assert np.array_equal(got.argmax(1), want.numpy().argmax(1))
    assert np.allclose(got, want.numpy(), atol=1e-5)
