"""Connectors: which (pre, post) pairs a projection connects, under PyNN's names.

``OneToOneConnector``, ``AllToAllConnector``, ``FixedProbabilityConnector``,
``FixedNumberPreConnector``, ``FromListConnector`` and ``ArrayConnector``
take PyNN's arguments; :class:`Dense` (all pairs, weights from a matrix) has
no PyNN counterpart.  The short names ``OneToOne``, ``AllToAll``,
``FixedProbability``, ``FixedNumberPre`` and ``FromList`` are aliases kept
for existing scripts.

A connector's :meth:`~Connector.connect` returns the connection list sorted
by presynaptic then postsynaptic index: ``(pre, post, weight, delay)`` where
``weight`` and ``delay`` are ``None`` unless the connector itself carries them
(:class:`FromListConnector`, :class:`Dense`).  Random connectors draw from the
generator they are given (their own ``seed`` when set, otherwise a stream
the network derives from its seed and the projection's label).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engramsim.errors import ValidationError, ValidationTypeError
from engramsim.sim.random import as_generator, check_seed
from engramsim.sim.validation import check_bool, check_float, check_int, check_real_array

Connections = tuple[np.ndarray, np.ndarray, "np.ndarray | None", "np.ndarray | None"]

#: rows of random masks drawn at a time (bounds memory for large projections)
_ROW_BLOCK_ELEMENTS = 1 << 22


class Connector:
    """Base class.  ``seed``: int, Generator or None (use the network's stream)."""

    def __init__(self, seed: Any = None):
        check_seed(seed)
        self.seed = seed

    def rng(self, default: np.random.Generator) -> np.random.Generator:
        """The generator to draw from: this connector's own seed, else ``default``."""
        return as_generator(self.seed) if self.seed is not None else default

    def connect(self, n_pre: int, n_post: int, same: bool, rng: np.random.Generator) -> Connections:
        """Return ``(pre, post, weight, delay)`` sorted by (pre, post).

        ``same`` is True when pre and post are the same population (self
        connections are then the diagonal).
        """
        raise NotImplementedError

    def __repr__(self) -> str:
        args = {k: v for k, v in vars(self).items() if k != "seed" and np.ndim(v) == 0}
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in args.items())})"


def _empty() -> Connections:
    return np.zeros(0, np.int64), np.zeros(0, np.int64), None, None


def _mask_to_lists(mask: np.ndarray, row0: int) -> tuple[np.ndarray, np.ndarray]:
    pre, post = np.nonzero(mask)
    return pre.astype(np.int64) + row0, post.astype(np.int64)


class OneToOneConnector(Connector):
    """Neuron ``i`` of pre to neuron ``i`` of post (the sizes must match)."""

    def connect(self, n_pre, n_post, same, rng):
        if n_pre != n_post:
            raise ValidationError(f"OneToOne needs populations of equal size, got pre {n_pre} and post {n_post}")
        idx = np.arange(n_pre, dtype=np.int64)
        return idx, idx.copy(), None, None


class AllToAllConnector(Connector):
    """Every pre to every post; ``allow_self_connections=False`` drops ``i -> i`` within one population."""

    def __init__(self, allow_self_connections: bool = True):
        super().__init__()
        self.allow_self_connections = check_bool(allow_self_connections, "allow_self_connections")

    def connect(self, n_pre, n_post, same, rng):
        pre = np.repeat(np.arange(n_pre, dtype=np.int64), n_post)
        post = np.tile(np.arange(n_post, dtype=np.int64), n_pre)
        if same and not self.allow_self_connections:
            keep = pre != post
            pre, post = pre[keep], post[keep]
        return pre, post, None, None


class FixedProbabilityConnector(Connector):
    """Each pair independently with probability ``p`` (drawn row by row from the generator)."""

    def __init__(self, p_connect: float, allow_self_connections: bool = True, seed: Any = None):
        super().__init__(seed)
        self.p_connect = check_float(p_connect, "p_connect", 0.0, 1.0)
        self.allow_self_connections = check_bool(allow_self_connections, "allow_self_connections")

    def connect(self, n_pre, n_post, same, rng):
        rng = self.rng(rng)
        block = max(1, _ROW_BLOCK_ELEMENTS // max(n_post, 1))
        pres, posts = [], []
        for row0 in range(0, n_pre, block):
            rows = min(block, n_pre - row0)
            mask = rng.random((rows, n_post)) < self.p_connect
            if same and not self.allow_self_connections:
                r = np.arange(rows)
                mask[r, r + row0] = False
            pre, post = _mask_to_lists(mask, row0)
            pres.append(pre)
            posts.append(post)
        if not pres:
            return _empty()
        return np.concatenate(pres), np.concatenate(posts), None, None


class FixedNumberPreConnector(Connector):
    """Each post neuron receives from ``n`` distinct pre neurons drawn at random."""

    def __init__(self, n: int, allow_self_connections: bool = True, seed: Any = None):
        super().__init__(seed)
        self.n = check_int(n, "n", minimum=0)
        self.allow_self_connections = check_bool(allow_self_connections, "allow_self_connections")

    def connect(self, n_pre, n_post, same, rng):
        rng = self.rng(rng)
        available = n_pre - (1 if same and not self.allow_self_connections else 0)
        if self.n > available:
            raise ValidationError(f"FixedNumberPre n must be <= {available} (presynaptic neurons available), "
                             f"got {self.n}")
        pres = []
        for j in range(n_post):
            if same and not self.allow_self_connections:
                choice = rng.choice(n_pre - 1, self.n, replace=False)
                choice = choice + (choice >= j)
            else:
                choice = rng.choice(n_pre, self.n, replace=False)
            pres.append(choice)
        pre = np.concatenate(pres).astype(np.int64) if pres else np.zeros(0, np.int64)
        post = np.repeat(np.arange(n_post, dtype=np.int64), self.n)
        order = np.lexsort((post, pre))
        return pre[order], post[order], None, None


class FromListConnector(Connector):
    """An explicit list of rows ``(pre, post)``, ``(pre, post, weight)`` or ``(pre, post, weight, delay)``.

    Weights and delays given here override the synapse type's.  Repeated
    pairs are allowed (they are separate synapses).
    """

    def __init__(self, conn_list: Any):
        super().__init__()
        arr = check_real_array(conn_list, "conn_list", ndim=2, allow_empty=True)
        if arr.shape[1] not in (2, 3, 4):
            raise ValidationError(f"conn_list must have 2, 3 or 4 columns (pre, post[, weight[, delay]]), "
                             f"got shape {arr.shape}")
        if np.any(arr[:, :2] != np.round(arr[:, :2])) or np.any(arr[:, :2] < 0):
            raise ValidationError("conn_list pre and post indices must be non-negative integers")
        self.conn_list = arr

    def connect(self, n_pre, n_post, same, rng):
        arr = self.conn_list
        pre, post = arr[:, 0].astype(np.int64), arr[:, 1].astype(np.int64)
        if pre.size and pre.max() >= n_pre:
            raise ValidationError(f"conn_list pre index must be < {n_pre} (pre size), got {int(pre.max())}")
        if post.size and post.max() >= n_post:
            raise ValidationError(f"conn_list post index must be < {n_post} (post size), got {int(post.max())}")
        order = np.lexsort((post, pre))
        weight = arr[order, 2].copy() if arr.shape[1] > 2 else None
        delay = arr[order, 3].copy() if arr.shape[1] > 3 else None
        return pre[order], post[order], weight, delay


class Dense(Connector):
    """All pairs, with weights from a matrix ``matrix[pre, post]`` (zeros are kept as synapses)."""

    def __init__(self, matrix: Any):
        super().__init__()
        self.matrix = check_real_array(matrix, "matrix", ndim=2)

    def connect(self, n_pre, n_post, same, rng):
        if self.matrix.shape != (n_pre, n_post):
            raise ValidationError(f"Dense matrix must have shape ({n_pre}, {n_post}) = (pre size, post size), "
                             f"got {self.matrix.shape}")
        pre = np.repeat(np.arange(n_pre, dtype=np.int64), n_post)
        post = np.tile(np.arange(n_post, dtype=np.int64), n_pre)
        return pre, post, self.matrix.ravel().copy(), None


class ArrayConnector(Connector):
    """PyNN's ``ArrayConnector``: connect ``(i, j)`` wherever ``array[i, j]`` is true (a boolean or 0/1 matrix)."""

    def __init__(self, array: Any):
        super().__init__()
        arr = np.asarray(array)
        if arr.dtype != bool:
            arr = check_real_array(array, "array", ndim=2)
            if not np.all((arr == 0) | (arr == 1)):
                raise ValidationError("array must hold booleans or 0/1 values (a connection mask)")
        if arr.ndim != 2:
            raise ValidationError(f"array must be 2-D (pre size, post size), got shape {arr.shape}")
        self.array = arr.astype(bool)

    def connect(self, n_pre, n_post, same, rng):
        if self.array.shape != (n_pre, n_post):
            raise ValidationError(f"ArrayConnector array must have shape ({n_pre}, {n_post}) = (pre size, post size), "
                             f"got {self.array.shape}")
        pre, post = _mask_to_lists(self.array, 0)
        return pre, post, None, None


# short names of earlier releases (aliases, nothing more)
OneToOne = OneToOneConnector
AllToAll = AllToAllConnector
FixedProbability = FixedProbabilityConnector
FixedNumberPre = FixedNumberPreConnector
FromList = FromListConnector
