"""Projections and their synapse types: the connections between two populations (PyNN's vocabulary)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from engramsim.errors import ValidationError, ValidationTypeError
from engramsim.sim.spiking.connectors import Connector
from engramsim.sim.spiking.population import Population, join_default
from engramsim.sim.validation import check_choice, check_real_array

__all__ = ["DENSE_THRESHOLD", "MAX_DELAY_STEPS", "RECEPTOR_TYPES", "STORAGE", "Projection", "StaticSynapse",
           "delay_steps"]

#: longest synaptic delay in time steps (the ring buffer holds MAX_DELAY_STEPS + 1 slots)
MAX_DELAY_STEPS = 256
RECEPTOR_TYPES = ("excitatory", "inhibitory")
STORAGE = ("auto", "dense", "csr")
#: "auto" stores a projection densely at or above this fraction of all pairs (and a uniform delay)
DENSE_THRESHOLD = 0.5


class StaticSynapse:
    """A fixed synapse: ``weight`` (nA for current synapses, mV for voltage jumps) and ``delay`` (ms).

    ``weight`` may be a scalar, one value per connection, or a callable
    ``weight(n) -> array`` called with the number of connections once they are
    drawn (for random weights); ``delay`` a scalar or one value per
    connection, each a whole number of time steps between 1 and
    :data:`MAX_DELAY_STEPS` (``None``: one step).
    """

    plastic = False

    def __init__(self, weight: Any = 0.0, delay: Any = None):
        self.weight = weight if callable(weight) else _check_values(weight, "weight")
        self.delay = None if delay is None else _check_values(delay, "delay")
        if self.delay is not None and np.any(np.asarray(self.delay) <= 0):
            raise ValidationError(f"delay must be > 0 ms, got {_first_bad(self.delay, lambda d: d <= 0)}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(weight={self.weight!r}, delay={self.delay!r})"


def _check_values(value: Any, name: str) -> Any:
    arr = check_real_array(value, name, ndim=(0, 1), allow_empty=True)
    return float(arr) if arr.ndim == 0 else arr


def _first_bad(values: Any, bad) -> float:
    arr = np.atleast_1d(np.asarray(values, dtype=float))
    return float(arr[bad(arr)][0])


def delay_steps(delay: Any, dt: float, n: int) -> np.ndarray:
    """Delays (ms) as whole time steps, checked to lie in ``[1, MAX_DELAY_STEPS]``."""
    steps_f = np.atleast_1d(np.asarray(delay, dtype=np.float64)) / dt
    steps = np.rint(steps_f)
    off = np.abs(steps_f - steps) > 1e-9 * np.maximum(1.0, np.abs(steps_f))
    if np.any(off):
        raise ValidationError(f"delay must be a whole number of time steps (dt = {dt} ms), "
                         f"got {_first_bad(steps_f[off] * dt, lambda d: d == d)} ms")
    bad = (steps < 1) | (steps > MAX_DELAY_STEPS)
    if np.any(bad):
        raise ValidationError(f"delay must be between {dt} and {MAX_DELAY_STEPS * dt} ms "
                         f"(1 to {MAX_DELAY_STEPS} steps of {dt} ms), got {float(steps[bad][0] * dt)} ms")
    steps = steps.astype(np.int64)
    return np.broadcast_to(steps, (n,)).copy() if steps.size == 1 else steps


class Projection:
    """Synapses from ``pre`` to ``post``.

    Parameters
    ----------
    pre, post
        Populations.
    connector
        Which pairs connect (:mod:`engramsim.sim.spiking.connectors`).
    synapse_type
        :class:`StaticSynapse` or a plastic synapse,
        :class:`engramsim.learning_rules.stdp.STDPMechanism` (pair STDP with
        additive weight dependence in sPyNNaker's semantics; default
        ``StaticSynapse()``).  A plastic projection needs one delay for all
        its synapses and initial weights inside ``[w_min, w_max]``; its
        weights are read with :meth:`get_weights` or :meth:`get`.
    receptor_type
        ``"excitatory"`` or ``"inhibitory"`` (an inhibitory weight ``w > 0``
        lowers the target; plastic weights are then bounded magnitudes).
        Inhibitory weights may be given positive (sPyNNaker's convention) or
        negative (PyNN/NEST's convention for current-based cells); the
        engine stores the magnitudes and :meth:`get` returns them in the
        sign they were given.
    label
        Name used for the connector's random stream.
    storage
        ``"auto"`` (dense when the projection fills at least half of all pairs
        with one delay, else CSR), ``"dense"`` or ``"csr"``.  A plastic
        projection is always held as a synapse list with row (pre) and column
        (post) indices; it accepts ``"auto"`` or ``"csr"``.

    Notes
    -----
    A plastic synapse type is any object with ``plastic = True``, ``weight``,
    ``delay`` and ``pair_stdp_parameters()`` returning a dict with
    ``tau_plus``, ``tau_minus`` (ms), ``amp_plus``, ``amp_minus`` (weight
    units, the amplitudes already multiplied by ``w_max``), ``w_min`` and
    ``w_max``; :mod:`engramsim.sim` does not import the learning rules.
    """

    def __init__(self, pre: Population, post: Population, connector: Connector,
                 synapse_type: Any = None, receptor_type: str = "excitatory",
                 label: str | None = None, storage: str = "auto"):
        for name, pop in (("pre", pre), ("post", post)):
            if not isinstance(pop, Population):
                raise ValidationTypeError(f"{name} must be a Population, got {type(pop).__name__}")
        if post.celltype.is_source:
            raise ValidationTypeError(f"post must not be a spike source, got {post!r}")
        if not isinstance(connector, Connector):
            raise ValidationTypeError(f"connector must be a Connector such as AllToAll(), got {connector!r}")
        self.synapse_type = StaticSynapse() if synapse_type is None else synapse_type
        if not hasattr(self.synapse_type, "weight") or not hasattr(self.synapse_type, "delay"):
            raise ValidationTypeError(f"synapse_type must be a StaticSynapse or a plastic synapse, got {synapse_type!r}")
        self.plastic = bool(getattr(self.synapse_type, "plastic", False))
        if self.plastic and not callable(getattr(self.synapse_type, "pair_stdp_parameters", None)):
            raise ValidationTypeError(f"synapse_type: the engine simulates plastic synapses of the pair-STDP kind "
                            f"(engramsim.learning_rules.stdp.STDPMechanism), got {synapse_type!r}")
        self.pre, self.post, self.connector = pre, post, connector
        self.receptor_type = check_choice(receptor_type, "receptor_type", RECEPTOR_TYPES)
        self.storage = check_choice(storage, "storage", STORAGE)
        if self.plastic and self.storage == "dense":
            raise ValidationError("storage='dense' is not available for a plastic projection (its synapses are held "
                             "as a list with row and column indices); use storage='auto' or 'csr'")
        self.label = label
        self.network: Any = None
        # the connection list, filled by build(): sorted by (pre, post)
        self.pre_index = self.post_index = self.delays = None
        self.weights: np.ndarray | None = None
        #: +1, or -1 when inhibitory weights were given negative (PyNN/NEST's convention); magnitudes are stored
        self.weight_sign = 1.0
        join_default(self)

    def build(self, rng: np.random.Generator, dt: float) -> None:
        """Draw the connections and resolve weights and delays (called by the network)."""
        pre, post, weight, delay = self.connector.connect(self.pre.size, self.post.size,
                                                          self.pre is self.post, rng)
        n = pre.size
        syn = self.synapse_type
        if weight is None:
            weight = _per_connection(syn.weight, n, "weight")
        if delay is None:
            delay = dt if syn.delay is None else _per_connection(syn.delay, n, "delay")
        if self.pre_index is not None:  # rebuilt after reset(): the same synapses, with their weights now
            return
        weight = np.asarray(weight, dtype=np.float64)
        if self.receptor_type == "inhibitory" and weight.size and np.any(weight < 0):
            if np.any(weight > 0):
                raise ValidationError(f"weight: an inhibitory projection takes weights of one sign (all >= 0, "
                                 f"sPyNNaker's convention, or all <= 0, PyNN/NEST's), got both signs ({self!r})")
            self.weight_sign = -1.0
            weight = -weight
        self.pre_index, self.post_index = pre, post
        self.weights = weight.copy()
        self.delays = delay_steps(delay, dt, n)
        if self.plastic:
            self._check_plastic(dt)

    def _check_plastic(self, dt: float) -> None:
        """A plastic projection needs one delay and initial weights inside the rule's bounds."""
        if self.delays.size and np.any(self.delays != self.delays[0]):
            raise ValidationError(f"delay: a plastic projection needs one delay for all its synapses, got delays "
                             f"from {self.delays.min() * dt} to {self.delays.max() * dt} ms ({self!r})")
        par = self.synapse_type.pair_stdp_parameters()
        w_min, w_max = par["w_min"], par["w_max"]
        bad = (self.weights < w_min) | (self.weights > w_max)
        if np.any(bad):
            raise ValidationError(f"weight: the initial weights of a plastic projection must lie in [w_min, w_max] = "
                             f"[{w_min}, {w_max}], got {float(self.weights[bad][0])} ({self!r})")

    def __getstate__(self) -> dict[str, Any]:
        """For saving: a weight function has done its work once the synapses are drawn (their weights are kept)."""
        import copy

        state = dict(self.__dict__)
        if callable(getattr(self.synapse_type, "weight", None)):
            if self.pre_index is None:
                raise ValidationError(f"{self!r}: its weights are given by a function, which cannot be saved; "
                                      f"build the network (Network.build() or a run) before saving it")
            state["synapse_type"] = copy.copy(self.synapse_type)
            state["synapse_type"].weight = None
        return state

    @property
    def n_connections(self) -> int:
        """Number of synapses (after build)."""
        return 0 if self.pre_index is None else int(self.pre_index.size)

    def get_weights(self, format: str = "array", include_pending: bool = True) -> np.ndarray:
        """Current weights.

        Parameters
        ----------
        format
            ``"array"``: a (pre, post) matrix, NaN where unconnected (where a
            pair has several synapses, the last one's weight); ``"list"``: the
            per-connection values sorted by (pre, post).
        include_pending
            Plastic projections only.  ``True`` (default): every pairing seen
            so far is applied.  ``False``: the weights as sPyNNaker stores
            them, i.e. as each synapse last transmitted them; the changes due
            to postsynaptic spikes after a synapse's last presynaptic arrival
            are still pending there (they are applied at the next arrival).
            Static projections ignore it.

        Returns
        -------
        ndarray
            A fresh array.
        """
        check_choice(format, "format", ("array", "list"))
        if not isinstance(include_pending, (bool, np.bool_)):
            raise ValidationTypeError(f"include_pending must be True or False, got {include_pending!r}")
        if self.weights is None:
            raise RuntimeError("the projection is not built yet; run the network first")
        w = (self.network.current_weights(self, include_pending=bool(include_pending))
             if self.network is not None else self.weights.copy())
        w = self.weight_sign * w
        return w if format == "list" else self._as_array(w, "last")

    def get(self, attribute_names: str | Sequence[str], format: str, with_address: bool = True,
            multiple_synapses: str = "sum", include_pending: bool = True) -> Any:
        """Synaptic attributes in PyNN's ``Projection.get`` layout.

        Parameters
        ----------
        attribute_names
            ``"weight"`` and/or ``"delay"`` (ms), one name or a list.
        format
            ``"list"``: one tuple per connection, ``(i, j, value, ...)`` with
            ``with_address`` (else the values alone; a single value when one
            name was given), sorted by (pre, post).  ``"array"``: a (pre, post)
            array per name, NaN where unconnected.
        with_address
            Whether list rows start with the (pre, post) indices.
        multiple_synapses
            How ``"array"`` combines repeated (pre, post) pairs: ``"sum"``
            (PyNN's default), ``"first"``, ``"last"``, ``"min"`` or ``"max"``.
        include_pending
            As in :meth:`get_weights`.

        Returns
        -------
        list or ndarray or list of ndarray
            One array when ``attribute_names`` is a single name and ``format="array"``.
        """
        single = isinstance(attribute_names, str)
        names = [attribute_names] if single else list(attribute_names)
        for name in names:
            check_choice(name, "attribute_names", ("weight", "delay"))
        check_choice(format, "format", ("list", "array"))
        check_choice(multiple_synapses, "multiple_synapses", ("sum", "first", "last", "min", "max"))
        w = self.get_weights("list", include_pending=include_pending)
        values = [w if name == "weight" else self.delays * self.network.dt for name in names]
        if format == "list":
            cols = ([self.pre_index, self.post_index] if with_address else []) + values
            rows = [tuple(r) for r in zip(*[c.tolist() for c in cols])]
            return [r[0] for r in rows] if single and not with_address else rows
        arrays = [self._as_array(v, multiple_synapses) for v in values]
        return arrays[0] if single else arrays

    def _as_array(self, values: np.ndarray, how: str) -> np.ndarray:
        shape = (self.pre.size, self.post.size)
        pre, post = self.pre_index, self.post_index
        if how in ("first", "last"):
            key = pre * self.post.size + post
            if how == "first":
                idx = np.unique(key, return_index=True)[1]
            else:
                idx = key.size - 1 - np.unique(key[::-1], return_index=True)[1]
            mat = np.full(shape, np.nan)
            mat[pre[idx], post[idx]] = values[idx]
            return mat
        start = {"sum": 0.0, "min": np.inf, "max": -np.inf}[how]
        ufunc = {"sum": np.add, "min": np.minimum, "max": np.maximum}[how]
        mat = np.full(shape, start)
        ufunc.at(mat, (pre, post), values)
        count = np.zeros(shape, np.int64)
        np.add.at(count, (pre, post), 1)
        mat[count == 0] = np.nan
        return mat

    def __repr__(self) -> str:
        return (f"Projection({self.pre.label!r} -> {self.post.label!r}, {self.connector!r}, "
                f"{self.receptor_type})")


def _per_connection(value: Any, n: int, name: str) -> np.ndarray:
    if callable(value):
        value = check_real_array(value(n), name, ndim=(0, 1), allow_empty=True)
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        return np.full(n, float(arr))
    if arr.shape != (n,):
        raise ValidationError(f"{name} must be a scalar or hold one value per connection ({n}), "
                         f"got an array of shape {arr.shape}")
    return arr.copy()


