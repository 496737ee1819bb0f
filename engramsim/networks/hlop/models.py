"""The networks HLOP protects: a rate (ReLU) MLP and a spiking LIF MLP trained through time.

Both are bias-free multilayer perceptrons ``n_in - hidden... - n_out`` whose
plastic weights are the ``nn.Linear`` layers in :attr:`layers`.  Their
``forward(x, record=True)`` also returns each layer's presynaptic activity,
the input HLOP's lateral neurons learn from:

* :class:`RateMLP`: ``x -> relu(W1 x) -> relu(W2 .) -> W3 .``; the presynaptic
  activity of a layer is its input vector.
* :class:`SpikingMLP`: the image is a constant input current for ``timesteps``
  steps into leaky integrate-and-fire layers (snnTorch ``Leaky``:
  ``mem <- beta mem + I``, a spike when ``mem > threshold``, reset to zero), and
  a non-spiking linear readout whose output is summed over time (the logits).  Trained
  with surrogate gradients through time (backpropagation through time, BPTT).
  The presynaptic activity of a layer is its input spike train filtered by a
  box filter over the presentation (the firing rate), i.e. the time average of
  the activity that enters the weight gradient ``sum_t delta_t s_t^T``.

torch and snnTorch are imported when this module is; import it only where a
network is built.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from engramsim.errors import ValidationError, ValidationTypeError
from engramsim.sim.validation import check_float, check_int

__all__ = ["RateMLP", "SpikingMLP", "export_nir", "import_nir", "run_nir"]


def _check_sizes(sizes: Sequence[int]) -> list[int]:
    if isinstance(sizes, (str, bytes)) or len(sizes) < 2:
        raise ValidationError(f"sizes must list at least an input and an output size, got {sizes!r}")
    return [check_int(s, f"sizes[{i}]", minimum=1) for i, s in enumerate(sizes)]


def _check_input(x: torch.Tensor, n: int) -> torch.Tensor:
    if not isinstance(x, torch.Tensor) or x.ndim != 2 or x.shape[1] != n:
        shape = tuple(x.shape) if hasattr(x, "shape") else type(x).__name__
        raise ValidationError(f"x must be a (batch, {n}) tensor, got {shape}")
    return x


class RateMLP(nn.Module):
    """Bias-free ReLU multilayer perceptron.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths from input to output, e.g. ``(784, 100, 100, 10)``.
    seed : int
        Seed of the weight initialisation (torch's default Kaiming-uniform).
    """

    def __init__(self, sizes: Sequence[int] = (784, 100, 100, 10), seed: int = 0):
        super().__init__()
        self.sizes = _check_sizes(sizes)
        gen_state = torch.random.get_rng_state()
        torch.manual_seed(check_int(seed, "seed", minimum=0))
        self.layers = nn.ModuleList(nn.Linear(a, b, bias=False) for a, b in zip(self.sizes[:-1], self.sizes[1:]))
        torch.random.set_rng_state(gen_state)

    def forward(self, x: torch.Tensor, record: bool = False):
        """Logits ``(batch, n_out)``; with ``record``, also the list of each layer's input."""
        h = _check_input(x, self.sizes[0])
        inputs = []
        for i, layer in enumerate(self.layers):
            inputs.append(h)
            h = layer(h)
            if i < len(self.layers) - 1:
                h = torch.relu(h)
        return (h, inputs) if record else h


class SpikingMLP(nn.Module):
    """Bias-free LIF multilayer perceptron with a linear readout, trained with surrogate gradients.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths from input to output; every layer but the last is followed by LIF neurons.
    timesteps : int
        Time steps per presentation (the input is a constant current).
    beta : float
        Membrane decay per step, ``exp(-dt / tau)``.
    threshold : float
        Firing threshold (reset to zero after a spike).
    slope : float
        Slope of snnTorch's fast-sigmoid surrogate gradient.
    seed : int
        Seed of the weight initialisation.
    """

    def __init__(self, sizes: Sequence[int] = (784, 100, 100, 10), timesteps: int = 8, beta: float = 0.9,
                 threshold: float = 1.0, slope: float = 5.0, seed: int = 0):
        super().__init__()
        import snntorch as snn
        from snntorch import surrogate

        self.sizes = _check_sizes(sizes)
        self.timesteps = check_int(timesteps, "timesteps", minimum=1)
        self.beta = check_float(beta, "beta", 0.0, 1.0)
        self.threshold = check_float(threshold, "threshold", 0.0, strict_minimum=True)
        self.slope = check_float(slope, "slope", 0.0, strict_minimum=True)
        gen_state = torch.random.get_rng_state()
        torch.manual_seed(check_int(seed, "seed", minimum=0))
        self.layers = nn.ModuleList(nn.Linear(a, b, bias=False) for a, b in zip(self.sizes[:-1], self.sizes[1:]))
        torch.random.set_rng_state(gen_state)
        # per-neuron beta and threshold tensors: snnTorch's NIR export needs them as arrays
        self.lifs = nn.ModuleList(
            snn.Leaky(beta=torch.full((n,), self.beta), threshold=torch.full((n,), self.threshold),
                      spike_grad=surrogate.fast_sigmoid(slope=self.slope), reset_mechanism="zero",
                      reset_delay=False)
            for n in self.sizes[1:-1])

    def forward(self, x: torch.Tensor, record: bool = False):
        """Readout current summed over time ``(batch, n_out)``; with ``record``, also each layer's input rates."""
        x = _check_input(x, self.sizes[0])
        n_hidden = len(self.lifs)
        mems = [torch.zeros(x.shape[0], n, dtype=x.dtype) for n in self.sizes[1:-1]]
        rates = [torch.zeros(x.shape[0], n, dtype=x.dtype) for n in self.sizes[1:-1]]
        first = self.layers[0](x)  # a constant input current: the same every step
        out = 0.0
        for _ in range(self.timesteps):
            current = first
            for i in range(n_hidden):
                spk, mems[i] = self.lifs[i](current, mems[i])
                if record:
                    rates[i] = rates[i] + spk.detach()
                current = self.layers[i + 1](spk)
            out = out + current
        if not record:
            return out
        return out, [x] + [r / self.timesteps for r in rates]

    def sequential(self) -> nn.Sequential:
        """The network as one time step of an ``nn.Sequential`` (Linear, Leaky, ..., Linear) for NIR export."""
        import snntorch as snn

        modules: list[nn.Module] = []
        for i, layer in enumerate(self.layers):
            lin = nn.Linear(layer.in_features, layer.out_features, bias=False)
            lin.weight.data = layer.weight.detach().clone()
            modules.append(lin)
            if i < len(self.lifs):
                n = layer.out_features
                modules.append(snn.Leaky(beta=torch.full((n,), self.beta), threshold=torch.full((n,), self.threshold),
                                         reset_mechanism="zero", reset_delay=False, init_hidden=True))
        return nn.Sequential(*modules)


def export_nir(net: SpikingMLP):
    """Export a :class:`SpikingMLP` to a NIR graph with snnTorch's exporter (one time step per call)."""
    if not isinstance(net, SpikingMLP):
        raise ValidationTypeError(f"net must be a SpikingMLP, got {type(net).__name__}")
    from snntorch.export_nir import export_to_nir

    return export_to_nir(net.sequential(), torch.zeros(net.sizes[0]))


def import_nir(graph) -> nn.Module:
    """Import a NIR graph with snnTorch's importer (a module stepped once per time step)."""
    from snntorch.import_nir import import_from_nir

    return import_from_nir(graph)


def run_nir(module: nn.Module, x: torch.Tensor, timesteps: int) -> np.ndarray:
    """Present ``x`` as a constant input for ``timesteps`` steps to an imported graph; output summed over time."""
    import snntorch as snn

    timesteps = check_int(timesteps, "timesteps", minimum=1)
    for sub in module.modules():  # fresh membrane state for this presentation
        if isinstance(sub, snn.SpikingNeuron) and getattr(sub, "init_hidden", False):
            sub.reset_hidden()
    out = 0.0
    with torch.no_grad():
        for _ in range(timesteps):
            y = module(x)
            y = y[0] if isinstance(y, tuple) else y
            out = out + y
    return out.numpy()
