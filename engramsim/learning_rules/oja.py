"""Oja's subspace rule: lateral neurons that learn the principal subspace of their input.

A layer of ``k`` lateral neurons with weights ``H`` (``k x n``) sees inputs
``x`` (``n``), answers ``y = H x`` and reconstructs ``x_hat = H^T y``.  For a
minibatch ``X`` (``B x n``, one input a row) and ``Y = X H^T`` Oja's subspace
rule (Oja 1989) is

.. math::

    \\Delta H = \\frac{1}{B} Y^T (X - Y H),

a Hebbian term ``y x^T`` and an anti-Hebbian term ``-y y^T H``.  Its stable
fixed points are the ``H`` whose rows are an orthonormal basis of the span of
the ``k`` leading principal directions of ``x``; ``I - H^T H`` then projects
onto the orthogonal complement.  HLOP (Xiao et al., ICLR 2024) updates with
momentum, clamps the update elementwise and iterates a few times per batch:

``M <- mu M + (1 - mu) clip(Delta H, -c, c)``, ``H <- H + lr M``, repeated
``iterations`` times on the same batch.

Rows ``< n_frozen`` are frozen (their update and momentum are zero) while the
reconstruction still uses them, so the free rows learn the principal subspace
of the *residual* of ``x`` after the frozen subspace is removed.

Everything here works on NumPy arrays and on torch tensors alike (the result
has the type of ``h``); nothing mutates its arguments.

References
----------
E. Oja, "Neural networks, principal components, and subspaces", Int. J. Neural
Syst. 1:61-68 (1989).  M. Xiao, Q. Meng, Z. Zhang, D. He, Z. Lin, "Hebbian
Learning based Orthogonal Projection for Continual Learning of Spiking Neural
Networks", ICLR 2024 (arXiv 2402.11984).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engramsim.errors import ValidationError, ValidationTypeError
from engramsim.sim.random import as_generator
from engramsim.sim.validation import check_float, check_int

__all__ = ["OjaSubspace", "captured_energy", "normalised_lateral_rate", "oja_subspace_step",
           "oja_subspace_update", "orthogonal_complement_rows", "orthonormality_error", "project_out"]


# ----------------------------------------------------------------------------- array helpers
def _is_torch(a: Any) -> bool:
    return type(a).__module__.startswith("torch")


def _check_matrix(a: Any, name: str) -> Any:
    """Accept a finite real 2-D NumPy array or torch tensor; return a float copy (float64 for NumPy)."""
    if _is_torch(a):
        import torch

        if not torch.is_floating_point(a):
            raise ValidationTypeError(f"{name} must be a floating-point tensor, got dtype {a.dtype}")
        if a.ndim != 2:
            raise ValidationError(f"{name} must be 2-D, got a tensor of shape {tuple(a.shape)}")
        if not bool(torch.isfinite(a).all()):
            raise ValidationError(f"{name} must be finite, but it holds NaN or inf")
        return a.detach().clone()
    try:
        arr = np.asarray(a)
    except Exception as exc:  # ragged lists
        raise ValidationTypeError(
            f"{name} must be a 2-D array of real numbers, got {type(a).__name__}: {exc}") from None
    if arr.dtype == bool or arr.dtype.kind not in "iuf":
        raise ValidationTypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValidationError(f"{name} must be 2-D, got an array of shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValidationError(f"{name} must be finite, but it holds NaN or inf")
    return np.array(arr, dtype=np.float64 if arr.dtype.kind in "iu" else arr.dtype, copy=True)


def _like(x: Any, ref: Any) -> Any:
    """``x`` converted to the array type, dtype and device of ``ref``."""
    if _is_torch(ref):
        import torch

        if not _is_torch(x):
            return torch.as_tensor(np.asarray(x), dtype=ref.dtype, device=ref.device)
        return x.to(dtype=ref.dtype, device=ref.device)
    if _is_torch(x):
        return x.detach().cpu().numpy().astype(ref.dtype)
    return np.asarray(x, dtype=ref.dtype)


def _clip(a: Any, c: float) -> Any:
    return a.clamp(-c, c) if _is_torch(a) else np.clip(a, -c, c)


def _zeros_like(a: Any) -> Any:
    return a.new_zeros(a.shape) if _is_torch(a) else np.zeros_like(a)


def _check_pair(h: Any, x: Any) -> tuple[Any, Any]:
    h = _check_matrix(h, "h")
    x = _like(_check_matrix(x, "x"), h)
    if x.shape[1] != h.shape[1]:
        raise ValidationError(f"x must have {h.shape[1]} columns (the input dimension of h, shape "
                              f"{tuple(h.shape)}), got shape {tuple(x.shape)}")
    return h, x


# ----------------------------------------------------------------------------- the rule
def oja_subspace_step(h: Any, x: Any) -> Any:
    """One raw Oja subspace update ``(1/B) Y^T (X - Y H)`` with ``Y = X H^T``.

    Parameters
    ----------
    h : array or tensor, shape (k, n)
        Lateral weights.
    x : array or tensor, shape (B, n)
        Minibatch of inputs, one a row.

    Returns
    -------
    array or tensor, shape (k, n)
        The update (same type as ``h``).
    """
    h, x = _check_pair(h, x)
    return _raw_step(h, x)


def _raw_step(h: Any, x: Any) -> Any:
    y = x @ h.T
    return (y.T @ (x - y @ h)) / x.shape[0]


def oja_subspace_update(
    h: Any,
    x: Any,
    lr: float,
    *,
    momentum_buffer: Any | None = None,
    momentum: float = 0.9,
    clamp: float = 10.0,
    iterations: int = 5,
    n_frozen: int = 0,
) -> tuple[Any, Any]:
    """HLOP's lateral update: clamped Oja steps with momentum, several per batch, frozen leading rows.

    Parameters
    ----------
    h : array or tensor, shape (k, n)
        Lateral weights (not modified).
    x : array or tensor, shape (B, n)
        Minibatch of presynaptic activities.
    lr : float
        Lateral learning rate (> 0).  Keep ``lr * mean |x|^2`` well below 1;
        see :func:`normalised_lateral_rate`.
    momentum_buffer : same type as ``h`` or None
        Momentum ``M`` from the previous call (zeros when None).
    momentum : float
        ``mu`` in ``M <- mu M + (1 - mu) Delta H`` (0.9 in HLOP).
    clamp : float
        Elementwise bound on ``Delta H`` (10 in HLOP).
    iterations : int
        Updates per batch (5 in HLOP).
    n_frozen : int
        Leading rows that are frozen (old subspace).

    Returns
    -------
    (h_new, m_new)
        The updated weights and momentum, of the type of ``h``.
    """
    h, x = _check_pair(h, x)
    lr = check_float(lr, "lr", 0.0, strict_minimum=True)
    momentum = check_float(momentum, "momentum", 0.0, 1.0)
    clamp = check_float(clamp, "clamp", 0.0, strict_minimum=True)
    iterations = check_int(iterations, "iterations", minimum=1)
    n_frozen = check_int(n_frozen, "n_frozen", minimum=0, maximum=h.shape[0])
    if momentum_buffer is None:
        m = _zeros_like(h)
    else:
        m = _like(_check_matrix(momentum_buffer, "momentum_buffer"), h)
        if tuple(m.shape) != tuple(h.shape):
            raise ValidationError(f"momentum_buffer must have the shape of h {tuple(h.shape)}, "
                                  f"got {tuple(m.shape)}")
    new, m_new = _iterate(h[:n_frozen], h[n_frozen:], m[n_frozen:], x, lr, momentum, clamp, iterations)
    return _cat(h[:n_frozen], new), _cat(m[:n_frozen] * 0.0, m_new)


def _iterate(old: Any, new: Any, m_new: Any, x: Any, lr: float, momentum: float, clamp: float,
             iterations: int) -> tuple[Any, Any]:
    """The unchecked update of the free rows ``new`` (frozen rows ``old``).

    The frozen rows do not change, so their reconstruction ``Y_old H_old`` is
    computed once and only the free rows are iterated: the same numbers as the
    full formula with the frozen rows' update zeroed.
    """
    x_res = x - (x @ old.T) @ old if old.shape[0] else x
    for _ in range(iterations):
        y = x @ new.T
        delta = _clip((y.T @ (x_res - y @ new)) / x.shape[0], clamp)
        m_new = momentum * m_new + (1.0 - momentum) * delta
        new = new + lr * m_new
    return new, m_new


def _cat(a: Any, b: Any) -> Any:
    if _is_torch(a):
        import torch

        return torch.cat([a, b])
    return np.concatenate([a, b])


# ----------------------------------------------------------------------------- diagnostics and projection
def orthonormality_error(h: Any) -> float:
    """``max |H H^T - I|``: 0 for orthonormal rows."""
    h = _check_matrix(h, "h")
    gram = h @ h.T
    eye = np.eye(h.shape[0]) if not _is_torch(h) else _like(np.eye(h.shape[0]), h)
    diff = gram - eye
    return float(abs(diff).max()) if h.shape[0] else 0.0


def captured_energy(h: Any, x: Any) -> float:
    """Fraction of the input energy in the row space of ``h``: ``sum |P x|^2 / sum |x|^2``.

    ``P`` is the orthogonal projector onto the span of the rows of ``h`` (computed
    exactly, so the value lies in [0, 1] even when ``h`` is not orthonormal).
    """
    h, x = _check_pair(h, x)
    hn = np.asarray(h.detach().cpu().numpy() if _is_torch(h) else h, dtype=np.float64)
    xn = np.asarray(x.detach().cpu().numpy() if _is_torch(x) else x, dtype=np.float64)
    total = float(np.sum(xn * xn))
    if total == 0.0 or hn.shape[0] == 0:
        return 0.0
    q, _ = np.linalg.qr(hn.T)  # orthonormal basis of the row space
    proj = xn @ q
    return float(np.sum(proj * proj) / total)


def project_out(x: Any, h: Any) -> Any:
    """``x (I - H^T H)``: the rows of ``x`` with their component along the rows of ``h`` removed.

    Exact projection onto the orthogonal complement when ``h`` has orthonormal rows.
    """
    if h.shape[0] == 0:
        return x
    return x - (x @ h.T) @ h


def normalised_lateral_rate(x: Any, scale: float = 0.5) -> float:
    """``scale / mean |x|^2``: a lateral learning rate normalised by the measured input energy.

    Oja's rule is stable only while ``lr * |x|^2`` is well below 1; fixed rates
    that suit one input scale diverge or stall on another.
    """
    x = _check_matrix(x, "x")
    scale = check_float(scale, "scale", 0.0, strict_minimum=True)
    energy = float((x * x).sum()) / x.shape[0]
    if energy <= 0.0:
        raise ValidationError("x must not be all zeros: its mean squared norm is 0, so no rate can be normalised")
    return scale / energy


def orthogonal_complement_rows(old: Any, k: int, n: int, seed: Any = None) -> np.ndarray:
    """``k`` orthonormal random rows of length ``n``, orthogonal to the rows of ``old``.

    Parameters
    ----------
    old : array, shape (k_old, n), or None
        Existing (approximately orthonormal) rows; None or 0 rows for none.
    k, n : int
        Number and length of the new rows; ``k_old + k <= n``.
    seed
        Seed or Generator.
    """
    k = check_int(k, "k", minimum=0)
    n = check_int(n, "n", minimum=1)
    old_np = np.zeros((0, n)) if old is None else np.asarray(
        old.detach().cpu().numpy() if _is_torch(old) else old, dtype=np.float64)
    if old_np.ndim != 2 or old_np.shape[1] != n:
        raise ValidationError(f"old must have shape (k_old, {n}), got {old_np.shape}")
    if old_np.shape[0] + k > n:
        raise ValidationError(f"k_old + k must be <= n = {n}, got {old_np.shape[0]} + {k}")
    rng = as_generator(seed)
    g = rng.standard_normal((n, k))
    if old_np.shape[0]:
        q_old, _ = np.linalg.qr(old_np.T)
        g -= q_old @ (q_old.T @ g)
        g -= q_old @ (q_old.T @ g)  # twice is enough (Kahan's rule)
    q, _ = np.linalg.qr(g)
    return np.ascontiguousarray(q[:, :k].T)


# ----------------------------------------------------------------------------- a stateful lateral module
@dataclass
class OjaSubspace:
    """Lateral subspace neurons of one layer: weights, momentum, frozen rows and per-task diagnostics.

    Parameters
    ----------
    n_inputs : int
        Input dimension ``n``.
    lr_scale : float
        The lateral rate is ``lr_scale / mean |x|^2``, measured on each batch (the
        input energy of a hidden layer grows while the network trains; see
        :func:`normalised_lateral_rate`); ``lr`` overrides it.
    lr : float or None
        A fixed lateral learning rate (the reference code's choice).
    momentum, clamp, iterations
        As in :func:`oja_subspace_update`.
    orthogonal_init : bool
        New rows start in the orthogonal complement of the old ones (this package's
        default).  False draws them from a plain random orthogonal matrix as the
        reference code does.
    seed
        Seed of the initialisations.
    """

    n_inputs: int
    lr_scale: float = 0.5
    lr: float | None = None
    momentum: float = 0.9
    clamp: float = 10.0
    iterations: int = 5
    orthogonal_init: bool = True
    seed: Any = 0
    history: list[dict[str, float]] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        import torch

        self.n_inputs = check_int(self.n_inputs, "n_inputs", minimum=1)
        check_float(self.lr_scale, "lr_scale", 0.0, strict_minimum=True)
        if self.lr is not None:
            check_float(self.lr, "lr", 0.0, strict_minimum=True)
        self._rng = as_generator(self.seed)
        # float32 torch tensors: the frozen rows, the learning rows and their momentum
        self._old = torch.zeros(0, self.n_inputs)
        self._new = torch.zeros(0, self.n_inputs)
        self._m = torch.zeros(0, self.n_inputs)

    @property
    def h(self) -> np.ndarray:
        """All lateral weights, frozen rows first (a float64 copy)."""
        return np.concatenate([self._old.numpy(), self._new.numpy()]).astype(np.float64)

    @property
    def k(self) -> int:
        """Number of lateral neurons (rows of ``h``)."""
        return int(self._old.shape[0] + self._new.shape[0])

    @property
    def n_frozen(self) -> int:
        """Number of frozen rows (the merged subspace of the earlier tasks)."""
        return int(self._old.shape[0])

    @property
    def old(self) -> np.ndarray:
        """The frozen rows: the merged subspace of the earlier tasks."""
        return self._old.numpy().astype(np.float64)

    def add_rows(self, k: int) -> int:
        """Append up to ``k`` learnable rows (capped at ``n_inputs``); returns how many were added."""
        import torch

        k = check_int(k, "k", minimum=0)
        k = min(k, self.n_inputs - self.k)
        if k == 0:
            return 0
        new = orthogonal_complement_rows(self.h if self.orthogonal_init else None, k, self.n_inputs, self._rng)
        new = torch.as_tensor(new, dtype=torch.float32)
        self._new = torch.cat([self._new, new])
        self._m = torch.cat([self._m, torch.zeros_like(new)])
        return k

    def update(self, x: Any) -> None:
        """Learn from one minibatch ``x`` (B x n; NumPy or torch), in float32 with torch.

        torch runs the small matrix products on its own thread pool (``torch.set_num_threads``).
        """
        import torch

        if self._new.shape[0] == 0:
            return
        x = (x.detach().cpu() if _is_torch(x) else torch.as_tensor(np.asarray(x))).to(torch.float32)
        if x.ndim != 2 or x.shape[1] != self.n_inputs:
            raise ValidationError(f"x must have shape (batch, {self.n_inputs}), got {tuple(x.shape)}")
        if self.lr is not None:
            lr = self.lr
        else:
            energy = float((x * x).sum()) / x.shape[0]
            if energy <= 0.0:
                return  # silent inputs: nothing to learn
            lr = self.lr_scale / energy
        self._new, self._m = _iterate(self._old, self._new, self._m, x, lr, self.momentum, self.clamp,
                                      self.iterations)

    def merge(self, x: Any | None = None) -> dict[str, float]:
        """Freeze all rows (old and new become the old subspace); record and return diagnostics.

        ``x`` (optional, the task's inputs) adds the captured energy to the record.
        """
        import torch

        h = self.h
        record = {"k": float(self.k), "orthonormality_error": orthonormality_error(h)}
        if x is not None:
            record["captured_energy"] = captured_energy(h, np.asarray(x, dtype=np.float64))
        self._old = torch.cat([self._old, self._new])
        self._new = torch.zeros(0, self.n_inputs)
        self._m = torch.zeros(0, self.n_inputs)
        self.history.append(record)
        return record
