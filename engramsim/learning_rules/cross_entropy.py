"""Associative memories learned by cross-entropy (torch), as in §4 of Cabannes et al. (2024).

The logits of token ``x`` are ``e_x^T W u_y`` (optionally with the row
normalisation ``LN(z) = z / sqrt(|z|^2 + 1e-6)`` applied to ``e_x^T W``),
and one pass over the training tokens minimises the cross-entropy with the
labels, in mini-batches, by

* ``"sgd"``: plain stochastic gradient descent with step ``learning_rate``;
* ``"adam"``: Adam with ``betas = (0, 0)``, so each step is
  ``-lr_eff * g / (|g| + eps)`` elementwise (a sign-like step), with
  ``lr_eff = learning_rate / d`` for ``W`` and ``learning_rate / sqrt(d)``
  for learnable embeddings — the scaling of the reference code.

Standard Adam settings do not reproduce the paper's figures.  torch is
imported only when a memory is trained.

References
----------
V. Cabannes, E. Dohmatob, A. Bietti, "Scaling Laws for Associative Memories",
ICLR 2024, §4 and ``scaling_law/grid_experiments`` of VivienCabannes/memory-theory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from engramsim.errors import EngramsimError, ValidationError
from engramsim.sim.random import check_seed, draw_seed, stream
from engramsim.sim.validation import (
    check_bool,
    check_choice,
    check_elements,
    check_float,
    check_int,
    check_real_array,
)

OPTIMIZERS = ("sgd", "adam")
INITS = ("random", "zero")
#: Adam's epsilon (torch's default, as in the reference code)
ADAM_EPS = 1e-8
#: the LayerNorm-like row normalisation of the reference code adds this under the square root
LN_EPS = 1e-6


class TrainingDivergedError(EngramsimError, ArithmeticError):
    """The cross-entropy training left the finite range (NaN or inf loss or weights)."""


def _float32_array(values: Any, name: str) -> np.ndarray:
    """A 2-D finite real array whose values float32 (torch's dtype here) holds."""
    arr = check_real_array(values, name, ndim=2)
    limit = float(np.finfo(np.float32).max) / 2
    if np.abs(arr).max() > limit:
        raise ValidationError(f"{name} must hold values of magnitude <= {limit:.3g} (training runs in float32), "
                              f"got {np.abs(arr).max():.3g}")
    return arr


@dataclass
class CrossEntropyResult:
    """What :func:`train_cross_entropy` returns.

    Attributes
    ----------
    matrix : ndarray, shape (d, d)
        The learned memory ``W`` (float64).
    embeddings : ndarray, shape (N, d) or None
        Learned token embeddings (None when they were fixed).
    class_embeddings : ndarray, shape (M, d) or None
        Learned class vectors (None when they were fixed).
    losses : ndarray, shape (n_steps,)
        Mean cross-entropy of each mini-batch before its step.
    learning_rates : dict
        The effective step sizes used, ``{"matrix": ..., "embeddings": ...}``.
    """

    matrix: np.ndarray
    embeddings: np.ndarray | None
    class_embeddings: np.ndarray | None
    losses: np.ndarray
    learning_rates: dict[str, float]

    @property
    def n_steps(self) -> int:
        """Number of optimiser steps taken."""
        return int(self.losses.size)


def effective_learning_rates(optimizer: str, learning_rate: float, dim: int) -> dict[str, float]:
    """Step sizes for ``W`` and for the embeddings: Adam divides by ``d`` and ``sqrt(d)``.

    Parameters
    ----------
    optimizer
        ``"sgd"`` or ``"adam"``.
    learning_rate
        The nominal learning rate (> 0).
    dim
        Embedding dimension d (>= 1).

    Returns
    -------
    dict
        ``{"matrix": lr_W, "embeddings": lr_E}``.
    """
    check_choice(optimizer, "optimizer", OPTIMIZERS)
    lr = check_float(learning_rate, "learning_rate", 0.0, strict_minimum=True)
    d = check_int(dim, "dim", minimum=1)
    if optimizer == "adam":
        return {"matrix": lr / d, "embeddings": lr / math.sqrt(d)}
    return {"matrix": lr, "embeddings": lr}


def _index_array(values: Any, name: str, upper: int) -> np.ndarray:
    arr = check_real_array(values, name, ndim=1)
    if np.any(arr != np.round(arr)) or np.any(arr < 0) or np.any(arr >= upper):
        raise ValidationError(f"{name} must hold integer indices in [0, {upper - 1}]")
    return arr.astype(np.int64)


def train_cross_entropy(
    embeddings: Any,
    class_embeddings: Any,
    labels: Any,
    tokens: Any,
    *,
    optimizer: str = "sgd",
    learning_rate: float = 1.0,
    batch_size: int = 1024,
    learnable_embeddings: bool = False,
    layernorm: bool = False,
    weight_decay: float = 0.0,
    init: str = "random",
    seed: int | np.random.Generator | None = None,
    threads: int | None = None,
) -> CrossEntropyResult:
    """Learn the memory ``W`` by one pass of mini-batch cross-entropy over ``tokens``.

    Parameters
    ----------
    embeddings : array, shape (N, d)
        Token embeddings ``e_x`` (rows); never modified.
    class_embeddings : array, shape (M, d)
        Class vectors ``u_y`` (rows); never modified.
    labels : array of int, shape (N,)
        Label ``f*(x)`` of each token, in ``[0, M)``.
    tokens : array of int, shape (T,)
        Training samples (token indices), used in order.
    optimizer
        ``"sgd"`` or ``"adam"`` (betas (0, 0), step ``lr/d`` on ``W``).
    learning_rate
        Nominal learning rate (> 0).
    batch_size
        Mini-batch size; ``T`` must be a positive multiple of it (T / batch_size steps).
    learnable_embeddings
        Also train the embeddings and class vectors (the reference "learnable" model).
    layernorm
        Normalise ``e_x^T W`` row-wise before the class readout.
    weight_decay
        L2 weight decay (>= 0), as in torch's optimisers.
    init
        ``"random"``: ``W0 ~ N(0, 1/d)`` entries (reference); ``"zero"``: ``W0 = 0``.
    seed
        Seed of the initialisation (torch is seeded from it explicitly).
    threads
        Number of torch intra-op threads to use while training (restored
        afterwards); None leaves torch's setting.  Small memories train
        fastest on one thread, with the parallelism across sweep points.

    Returns
    -------
    CrossEntropyResult

    Raises
    ------
    TrainingDivergedError
        When the loss or the weights stop being finite (a learning rate too
        large for the data); nothing with NaN is returned.
    """
    emb = _float32_array(embeddings, "embeddings")
    n_tokens, dim = emb.shape
    check_elements("d * d (the memory matrix)", dim, dim)
    cls = _float32_array(class_embeddings, "class_embeddings")
    if cls.shape[1] != dim:
        raise ValidationError(f"class_embeddings must have shape (M, {dim}) to match embeddings, got {cls.shape}")
    n_classes = cls.shape[0]
    lab = _index_array(labels, "labels", n_classes)
    if lab.shape != (n_tokens,):
        raise ValidationError(f"labels must have shape ({n_tokens},), got {lab.shape}")
    x_all = _index_array(tokens, "tokens", n_tokens)
    batch = check_int(batch_size, "batch_size", minimum=1)
    if x_all.size % batch:
        raise ValidationError(f"the number of tokens T must be a multiple of batch_size = {batch}, got T = {x_all.size}")
    rates = effective_learning_rates(optimizer, learning_rate, dim)
    if max(rates.values()) > float(np.finfo(np.float32).max):
        raise ValidationError(f"learning_rate = {learning_rate:g} gives step sizes {rates} beyond the float32 "
                              "range torch trains in")
    decay = check_float(weight_decay, "weight_decay", 0.0)
    check_choice(init, "init", INITS)
    check_seed(seed)
    if threads is not None:
        threads = check_int(threads, "threads", minimum=1)
    learnable_embeddings = check_bool(learnable_embeddings, "learnable_embeddings")
    layernorm = check_bool(layernorm, "layernorm")

    import torch  # lazily: only memories that are trained need it

    previous_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        return _train(torch, emb, cls, lab, x_all, batch, rates, optimizer, decay, init, seed,
                      learnable_embeddings, layernorm)
    finally:
        torch.set_num_threads(previous_threads)


def _train(torch, emb, cls, lab, x_all, batch, rates, optimizer, decay, init, seed,
           learnable_embeddings, layernorm) -> CrossEntropyResult:
    dim = emb.shape[1]
    gen = torch.Generator().manual_seed(draw_seed(stream(seed, "cross-entropy-init")))
    dtype = torch.float32
    if init == "random":
        w0 = torch.randn(dim, dim, generator=gen, dtype=dtype) / math.sqrt(dim)
    else:
        w0 = torch.zeros(dim, dim, dtype=dtype)
    w = torch.nn.Parameter(w0)
    e = torch.tensor(emb, dtype=dtype)
    u = torch.tensor(cls, dtype=dtype)
    groups = [{"params": [w], "lr": rates["matrix"]}]
    if learnable_embeddings:
        e, u = torch.nn.Parameter(e), torch.nn.Parameter(u)
        groups.append({"params": [e, u], "lr": rates["embeddings"]})
    if optimizer == "adam":
        opt = torch.optim.Adam(groups, betas=(0.0, 0.0), eps=ADAM_EPS, weight_decay=decay)
    else:
        opt = torch.optim.SGD(groups, lr=rates["matrix"], weight_decay=decay)

    x_t = torch.from_numpy(x_all)
    y_t = torch.from_numpy(lab)[x_t]
    losses = np.empty(x_all.size // batch)
    for step in range(losses.size):
        xb = x_t[step * batch:(step + 1) * batch]
        hidden = e[xb] @ w
        if layernorm:
            hidden = hidden / torch.sqrt((hidden**2).sum(dim=1, keepdim=True) + LN_EPS)
        loss = torch.nn.functional.cross_entropy(hidden @ u.T, y_t[step * batch:(step + 1) * batch])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses[step] = float(loss.detach())
        if not math.isfinite(losses[step]):
            raise TrainingDivergedError(
                f"training diverged: the loss became {losses[step]} at step {step} of {losses.size}; "
                f"lower learning_rate (effective rates {rates})")

    def out(t):
        values = t.detach().numpy().astype(np.float64)
        if not np.all(np.isfinite(values)):
            raise TrainingDivergedError(f"training diverged: the weights overflowed float32; lower "
                                        f"learning_rate (effective rates {rates})")
        return values

    return CrossEntropyResult(
        matrix=out(w),
        embeddings=out(e) if learnable_embeddings else None,
        class_embeddings=out(u) if learnable_embeddings else None,
        losses=losses,
        learning_rates=rates,
    )
