"""Gradient projection for continual learning: HLOP's lateral subspaces and the exact SVD bound.

Both classes protect a network's plastic ``nn.Linear`` layers the same way.
For a layer ``y = W x`` the gradient is a sum of outer products
``delta x^T``; HLOP replaces each presynaptic ``x`` by ``x - H_old^T H_old x``,
its part outside the subspace of the earlier tasks' inputs.  Because the
projection acts on the right of every outer product,

``sum delta (x - H^T H x)^T = (sum delta x^T)(I - H^T H)``,

so projecting the summed gradient ``G <- G - (G H^T) H`` is the same
operation, for any number of time steps or samples (a test checks the two
against each other).  The forward pass is never touched.

* :class:`HLOP`: the subspaces are learned online by lateral neurons with
  Oja's subspace rule (:class:`engramsim.learning_rules.oja.OjaSubspace`).
* :class:`SVDProjection`: after each task the basis is extended with the
  leading left singular vectors of the layer's inputs until a stated fraction
  of their energy lies in the protected subspace (GPM-like upper bound).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from engramsim.learning_rules.oja import OjaSubspace, captured_energy, orthonormality_error
from engramsim.errors import ValidationError, ValidationTypeError
from engramsim.sim.validation import check_float, check_int

__all__ = ["HLOP", "SVDProjection", "project_gradient"]

#: warn when the protected subspace would fill more than this fraction of a layer's input dimension
BUDGET_WARNING = 0.9


def project_gradient(grad: torch.Tensor, basis: torch.Tensor) -> torch.Tensor:
    """``G (I - B^T B)`` for a basis ``B`` with orthonormal rows (in place on ``grad``, which is returned)."""
    if basis.shape[0]:
        grad.sub_((grad @ basis.T) @ basis)
    return grad


def _layers(layers: Sequence[nn.Linear]) -> list[nn.Linear]:
    layers = list(layers)
    if not layers or not all(isinstance(layer, nn.Linear) for layer in layers):
        raise ValidationTypeError(f"layers must be a non-empty sequence of torch.nn.Linear, got {layers!r}")
    return layers


def _per_layer(values: Any, n: int, name: str) -> list[int]:
    values = [values] * n if isinstance(values, (int, np.integer)) else list(values)
    if len(values) != n:
        raise ValidationError(f"{name} must give one value per plastic layer ({n}), got {values!r}")
    return [check_int(v, f"{name}[{i}]", minimum=0) for i, v in enumerate(values)]


class _Projector:
    """Shared bookkeeping: the protected bases (torch, float32) and the time spent."""

    def __init__(self, layers: Sequence[nn.Linear]):
        self.layers = _layers(layers)
        self.bases = [torch.zeros(0, layer.in_features) for layer in self.layers]
        self.task = -1
        self.seconds = 0.0

    def project_gradients(self) -> None:
        """Project every layer's ``weight.grad`` out of its protected subspace."""
        t0 = time.perf_counter()
        for layer, basis in zip(self.layers, self.bases):
            if layer.weight.grad is not None and basis.shape[0]:
                project_gradient(layer.weight.grad, basis.to(layer.weight.grad.dtype))
        self.seconds += time.perf_counter() - t0

    def protected(self) -> list[int]:
        """Dimension of the protected subspace of each layer."""
        return [int(b.shape[0]) for b in self.bases]


class HLOP(_Projector):
    """Hebbian learning based orthogonal projection for a network's plastic linear layers.

    Parameters
    ----------
    layers : sequence of torch.nn.Linear
        The plastic layers, in order.
    sizes : int or sequence of int
        Lateral neurons per layer added at the first task (the brief's ``[60, 60, 40]``).
    increments : int or sequence of int
        Lateral neurons per layer added at each later task.
    lr_scale : float
        Lateral learning rate ``lr_scale / mean |x|^2`` (measured per layer and task).
    lr : float or None
        Fixed lateral learning rate instead (the reference code's choice).
    momentum, clamp, iterations
        Oja update settings (0.9, 10, 5 in the reference).
    orthogonal_init : bool
        New lateral neurons start in the orthogonal complement of the old subspace.
    seed : int
        Seed of the lateral initialisations.

    Notes
    -----
    Call :meth:`begin_task` before a task, :meth:`observe` with the layers'
    presynaptic activities after each batch, :meth:`project_gradients` between
    ``backward()`` and the optimiser step, and :meth:`end_task` after the task.
    """

    def __init__(self, layers: Sequence[nn.Linear], sizes: Any = 60, increments: Any = 20, *,
                 lr_scale: float = 0.5, lr: float | None = None, momentum: float = 0.9, clamp: float = 10.0,
                 iterations: int = 5, orthogonal_init: bool = True, seed: int = 0):
        super().__init__(layers)
        n = len(self.layers)
        self.sizes = _per_layer(sizes, n, "sizes")
        self.increments = _per_layer(increments, n, "increments")
        seed = check_int(seed, "seed", minimum=0)
        self.lateral = [OjaSubspace(layer.in_features, lr_scale=lr_scale, lr=lr, momentum=momentum, clamp=clamp,
                                    iterations=iterations, orthogonal_init=orthogonal_init, seed=seed + 7919 * i)
                        for i, layer in enumerate(self.layers)]
        self.diagnostics: list[list[dict[str, float]]] = []

    def begin_task(self) -> None:
        """Add lateral neurons for a new task; warn when a layer's subspace budget is nearly used up."""
        self.task += 1
        wanted = self.sizes if self.task == 0 else self.increments
        for i, (lat, k) in enumerate(zip(self.lateral, wanted)):
            added = lat.add_rows(k)
            if lat.k > BUDGET_WARNING * lat.n_inputs or added < k:
                warnings.warn(f"HLOP layer {i}: {lat.k} lateral neurons for an input of dimension {lat.n_inputs} "
                              f"(asked for {k} more, added {added}); the protected subspace leaves little room "
                              f"to learn new tasks", RuntimeWarning, stacklevel=2)

    def observe(self, inputs: Sequence[torch.Tensor]) -> None:
        """Oja updates of each layer's lateral neurons on a batch of presynaptic activities (B x n each)."""
        if len(inputs) != len(self.lateral):
            raise ValidationError(f"inputs must hold one batch per plastic layer ({len(self.lateral)}), "
                                  f"got {len(inputs)}")
        t0 = time.perf_counter()
        for lat, x in zip(self.lateral, inputs):
            lat.update(x.detach())
        self.seconds += time.perf_counter() - t0

    def end_task(self, inputs: Sequence[Any] | None = None) -> list[dict[str, float]]:
        """Merge new and old lateral neurons into the frozen subspace; return per-layer diagnostics.

        ``inputs`` (per layer, the task's presynaptic activities) adds the captured energy.
        """
        records = []
        for i, lat in enumerate(self.lateral):
            x = None if inputs is None else np.asarray(inputs[i], dtype=np.float64)
            records.append(lat.merge(x))
            # the projector uses the learned rows as they are (as the lateral circuit would)
            self.bases[i] = torch.as_tensor(lat.h, dtype=torch.float32)
        self.diagnostics.append(records)
        return records


class SVDProjection(_Projector):
    """Exact projection (GPM-like): protect the top singular directions holding ``energy`` of each task's inputs.

    Parameters
    ----------
    layers : sequence of torch.nn.Linear
        The plastic layers.
    energy : float
        Fraction (0, 1] of each task's input energy the protected subspace must hold.
    """

    def __init__(self, layers: Sequence[nn.Linear], energy: float = 0.99):
        super().__init__(layers)
        self.energy = check_float(energy, "energy", 0.0, 1.0, strict_minimum=True)
        self.diagnostics: list[list[dict[str, float]]] = []

    def begin_task(self) -> None:
        """Start a task (nothing to learn online)."""
        self.task += 1

    def observe(self, inputs: Sequence[torch.Tensor]) -> None:
        """Nothing to do online: the basis comes from the inputs given to :meth:`end_task`."""

    def end_task(self, inputs: Sequence[Any] | None = None) -> list[dict[str, float]]:
        """Extend each basis with the residual's leading singular vectors until ``energy`` is captured."""
        if inputs is None or len(inputs) != len(self.layers):
            raise ValidationError(f"inputs must hold the task's activities for each of the {len(self.layers)} layers")
        t0 = time.perf_counter()
        records = []
        for i, x in enumerate(inputs):
            x = np.asarray(x, dtype=np.float64)
            old = self.bases[i].numpy().astype(np.float64)
            total = float(np.sum(x * x))
            resid = x - (x @ old.T) @ old if old.shape[0] else x
            kept = total - float(np.sum(resid * resid))
            _, s, vt = np.linalg.svd(resid, full_matrices=False)
            # directions below the numerical rank of float32 activities carry rounding noise only
            rank = int(np.sum(s > (s[0] if len(s) else 0.0) * max(resid.shape) * np.finfo(np.float32).eps))
            need = self.energy * total - kept
            k = 0
            if need > 0 and rank:
                k = int(np.searchsorted(np.cumsum(s[:rank] ** 2), need) + 1)
                k = min(k, rank, x.shape[1] - old.shape[0])
            basis = np.vstack([old, vt[:k]]) if k else old
            self.bases[i] = torch.as_tensor(basis, dtype=torch.float32)
            records.append({"k": float(basis.shape[0]), "orthonormality_error": orthonormality_error(basis),
                            "captured_energy": captured_energy(basis, x) if basis.shape[0] else 0.0})
        self.seconds += time.perf_counter() - t0
        self.diagnostics.append(records)
        return records
