"""Task-by-task training of a network with HLOP, the SVD bound, plain fine-tuning or joint training.

``R[i, j]`` is the test accuracy on task ``j`` after training on task ``i``;
``ACC`` is the mean of the last row and ``BWT`` the mean over ``j < T - 1`` of
``R[T-1, j] - R[j, j]`` (Lopez-Paz & Ranzato 2017).

Methods:

* ``"baseline"``: plain sequential SGD on each task in turn.
* ``"hlop"``: lateral neurons learn each layer's input subspace during each
  task (Oja's rule, :class:`~engramsim.networks.hlop.projection.HLOP`), and from
  the second task on every weight gradient is projected out of the subspace
  of the earlier tasks.
* ``"svd"``: the same projection with an exact SVD basis holding ``svd_energy``
  of each task's input energy (GPM-like upper bound).
* ``"multitask"``: at stage ``i`` the network trains on the union of tasks
  ``0..i`` (all data of the tasks seen so far: the ceiling).

The networks have no biases and fixed neuron parameters, so every trained
parameter is a weight matrix that the projection covers, the shared output
head included.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from engramsim.networks.hlop.projection import HLOP, SVDProjection
from engramsim.errors import ValidationError
from engramsim.sim.validation import check_choice, check_float, check_int, check_real_array

__all__ = ["METHODS", "ContinualResult", "Task", "accuracy", "continual_metrics", "layer_inputs",
           "train_continual"]

METHODS = ("baseline", "hlop", "svd", "multitask")


@dataclass(frozen=True)
class Task:
    """One task: training and test inputs (float32, ``(N, n)``) and integer labels."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


@dataclass
class ContinualResult:
    """What :func:`train_continual` returns.

    Attributes
    ----------
    accuracy : ndarray (T, T)
        ``R[i, j]``: test accuracy on task j after training on task i (0..1).
    acc, bwt : float
        Final average accuracy and backward transfer (0..1 scale).
    train_seconds : ndarray (T,)
        Wall time of each task's training loop (projection and lateral learning included).
    projection_seconds : ndarray (T,)
        The part of it spent in lateral learning and gradient projection.
    diagnostics : list
        Per task, per layer: lateral neurons ``k``, ``max |H H^T - I|`` and captured input energy.
    """

    accuracy: np.ndarray
    acc: float
    bwt: float
    train_seconds: np.ndarray
    projection_seconds: np.ndarray
    diagnostics: list[list[dict[str, float]]] = field(default_factory=list)


def continual_metrics(r: Any) -> tuple[float, float]:
    """``(ACC, BWT)`` of an accuracy matrix ``R`` (T x T, T >= 2)."""
    r = check_real_array(r, "r", ndim=2)
    t = r.shape[0]
    if r.shape != (t, t) or t < 2:
        raise ValidationError(f"r must be a square matrix of at least 2 tasks, got shape {r.shape}")
    acc = float(r[-1].mean())
    bwt = float(np.mean(r[-1, :-1] - np.diag(r)[:-1]))
    return acc, bwt


def accuracy(net: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 500) -> float:
    """Fraction of ``x`` classified as ``y`` (argmax of the network's output)."""
    correct = 0
    with torch.no_grad():
        for start in range(0, len(x), batch_size):
            out = net(x[start:start + batch_size])
            correct += int((out.argmax(1) == y[start:start + batch_size]).sum())
    return correct / len(x)


def layer_inputs(net: nn.Module, x: torch.Tensor, batch_size: int = 500) -> list[np.ndarray]:
    """Each plastic layer's presynaptic activity for the inputs ``x`` (float64 arrays, one row per input)."""
    parts: list[list[np.ndarray]] = []
    with torch.no_grad():
        for start in range(0, len(x), batch_size):
            _, inputs = net(x[start:start + batch_size], record=True)
            parts.append([a.double().numpy() for a in inputs])
    return [np.concatenate([p[i] for p in parts]) for i in range(len(parts[0]))]


def _check_tasks(tasks: Sequence[Task]) -> list[Task]:
    tasks = list(tasks)
    if len(tasks) < 2 or not all(isinstance(t, Task) for t in tasks):
        raise ValidationError(f"tasks must be a sequence of at least 2 Task objects, got {len(tasks)} items")
    return tasks


def train_continual(
    net: nn.Module,
    tasks: Sequence[Task],
    method: str = "hlop",
    *,
    epochs: int = 5,
    lr: float = 0.1,
    batch_size: int = 32,
    seed: int = 0,
    hlop_sizes: Any = (60, 60, 40),
    hlop_increments: Any = (60, 20, 10),
    lateral_lr_scale: float = 0.5,
    svd_energy: float = 0.99,
    hlop_options: dict[str, Any] | None = None,
) -> ContinualResult:
    """Train ``net`` on ``tasks`` in order with ``method``; test on every task after each one.

    Parameters
    ----------
    net : RateMLP or SpikingMLP
        The network (trained in place); its ``layers`` are the plastic layers.
    tasks : sequence of Task
        The tasks, in training order.
    method : {"baseline", "hlop", "svd", "multitask"}
        See the module docstring.
    epochs, lr, batch_size
        Plain SGD settings per task.
    seed : int
        Seed of the minibatch order and of the lateral initialisations.
    hlop_sizes, hlop_increments
        Lateral neurons per layer at the first task and added at each later task.
    lateral_lr_scale : float
        Lateral learning rate ``lateral_lr_scale / mean |x|^2``.
    svd_energy : float
        Input energy the ``"svd"`` basis holds per task.
    hlop_options : dict, optional
        Further keyword arguments of :class:`~engramsim.networks.hlop.projection.HLOP`.

    Returns
    -------
    ContinualResult
    """
    tasks = _check_tasks(tasks)
    check_choice(method, "method", METHODS)
    epochs = check_int(epochs, "epochs", minimum=1)
    lr = check_float(lr, "lr", 0.0, strict_minimum=True)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    layers = list(net.layers)
    projector: HLOP | SVDProjection | None = None
    if method == "hlop":
        projector = HLOP(layers, hlop_sizes, hlop_increments, lr_scale=lateral_lr_scale, seed=seed,
                         **(hlop_options or {}))
    elif method == "svd":
        projector = SVDProjection(layers, svd_energy)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    n_tasks = len(tasks)
    r = np.zeros((n_tasks, n_tasks))
    train_seconds = np.zeros(n_tasks)
    projection_seconds = np.zeros(n_tasks)
    for i, task in enumerate(tasks):
        if method == "multitask":
            x = torch.cat([t.x_train for t in tasks[:i + 1]])
            y = torch.cat([t.y_train for t in tasks[:i + 1]])
        else:
            x, y = task.x_train, task.y_train
        if projector is not None:
            projector.begin_task()
            spent = projector.seconds
        t0 = time.perf_counter()
        net.train()
        for _ in range(epochs):
            order = torch.randperm(len(x), generator=generator)
            for start in range(0, len(x), batch_size):
                idx = order[start:start + batch_size]
                optimizer.zero_grad()
                if method == "hlop":
                    out, inputs = net(x[idx], record=True)
                else:
                    out = net(x[idx])
                loss = nn.functional.cross_entropy(out, y[idx])
                loss.backward()
                if projector is not None and i > 0:
                    projector.project_gradients()
                optimizer.step()
                if method == "hlop":
                    projector.observe(inputs)
        train_seconds[i] = time.perf_counter() - t0
        net.eval()
        if projector is not None:
            projector.end_task(layer_inputs(net, task.x_train))
            projection_seconds[i] = projector.seconds - spent
        for j, other in enumerate(tasks):
            r[i, j] = accuracy(net, other.x_test, other.y_test)
    acc, bwt = continual_metrics(r)
    diagnostics = getattr(projector, "diagnostics", []) if projector is not None else []
    return ContinualResult(r, acc, bwt, train_seconds, projection_seconds, diagnostics)
