"""Sparsey: sparse distributed codes chosen by the Code Selection Algorithm (Rinkus).

A macrocolumn (mac) is ``Q`` winner-take-all competitive modules (CMs) of
``K`` binary cells; a code is one active cell per CM (``|code| = Q``, ``K^Q``
possible codes).  For each input frame the Code Selection Algorithm (CSA)

1. sums each cell's binary input weights over the active inputs and
   normalises by their number: ``U_i = sum_j x_j w_ji / sum_j x_j``;
2. forms the local support ``V_i = U_i^lu`` (times ``H_i^lh`` when a
   horizontal input, the previous frame's code, is present);
3. measures the global familiarity ``G = (1/Q) sum_q max_{i in CM q} V_i``;
4. maps ``G`` to a sigmoid height (expansivity) ``eta(G)``;
5. maps ``V`` to relative selection weights ``mu_i = f(V_i; eta)``;
6. when learning, samples one winner per CM with probability
   ``rho_i = mu_i / sum_{k in CM} mu_k``; when recognising, takes the cell
   of maximal ``V`` per CM;
7. when learning, sets every weight from an active input to a winner to 1
   (single trial, :func:`engramsim.learning_rules.sparsey.sparsey_hebb`),
   and freezes an input's weights once more than a fraction of them is set
   (optionally, ``frozen_argmax``, a learning frame whose inputs are mostly
   frozen picks its winners by argmax V, as SparseyCore does once frozen).

Familiar inputs (G near 1) get a large ``eta`` and a peaked ``rho`` and
reactivate their stored code; novel inputs (G near 0) get ``eta`` near 1, a
flat ``rho`` and a nearly random code; in between, the expected overlap with
a stored code grows with the input's similarity to the stored input.  All of
this takes the same number of steps however many items are stored.

``eta(G)``, the V -> mu map and the readout are pluggable strategies with
three presets (:func:`csa_preset`): ``"sparseycore"`` (Rinkus's Java
SparseyCore, the default), ``"sparseypy"`` (the PyTorch reimplementation)
and ``"sparsey-csa"`` (a minimal NumPy CSA in the 2010 style).
:class:`SparseyMac` is one mac; :class:`Sparsey` stacks macs in levels,
each level's macs reading (overlapping) patches of the level below.  See
``docs/models/sparsey.md`` for the equations and every constant.

References
----------
G. Rinkus, "A cortical sparse distributed coding model linking mini- and
macrocolumn-scale functionality", Front. Neuroanat. 4:17 (2010).
G. Rinkus, "Sparsey: event recognition via deep hierarchical sparse
distributed codes", Front. Comput. Neurosci. 8:160 (2014).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from engramsim.learning_rules.sparsey import freeze_saturated, set_coactive
from engramsim.networks.base import AssociativeMemory, RecallResult
from engramsim.sim.backends import Backend, add_kernel_module, get_backend
from engramsim.sim.kernels import CONVERGED
from engramsim.sim.kernels import csa_numpy as csa_kernels
from engramsim.sim.validation import check_choice, check_float, check_int

if TYPE_CHECKING:
    import xarray as xr

add_kernel_module("numpy", "engramsim.sim.kernels.csa_numpy")
add_kernel_module("numba", "engramsim.sim.kernels.csa_numba")

READOUTS = ("sample", "argmax")
PRESETS = ("sparseycore", "sparseypy", "sparsey-csa")


# --------------------------------------------------------------------- eta(G)
class Expansivity(Protocol):
    """``eta(G, K)``: the height of the V -> mu sigmoid, from global familiarity."""

    def __call__(self, g: np.ndarray, k: int) -> np.ndarray: ...


@dataclass(frozen=True)
class SparseyCoreExpansivity:
    """``eta = 1 + max(0, (G - g_floor) / (1 - g_floor))^exponent * factor * K``.

    SparseyCore's ``determine_mu_Range``, identical in Sparsey_Alt; the
    defaults are theirs (``eta = 801`` at ``G = 1``, ``K = 8``).
    """

    g_floor: float = 0.1
    exponent: float = 2.0
    factor: float = 100.0
    kind = csa_kernels.ETA_SPARSEYCORE

    @property
    def params(self) -> tuple[float, ...]:
        return (self.g_floor, self.exponent, self.factor)

    def __call__(self, g: np.ndarray, k: int) -> np.ndarray:
        return csa_kernels.eta_sparseycore(g, k, *self.params)


@dataclass(frozen=True)
class LinearExpansivity:
    """``eta = max(0, (G - g_min) / (1 - g_min)) * chi`` (sparseypy).

    Defaults from sparseypy's validation network (``min_familiarity = 0.2``,
    ``sigmoid_chi = 1.5``).
    """

    g_min: float = 0.2
    chi: float = 1.5
    kind = csa_kernels.ETA_LINEAR

    @property
    def params(self) -> tuple[float, ...]:
        return (self.g_min, self.chi)

    def __call__(self, g: np.ndarray, k: int) -> np.ndarray:
        return csa_kernels.eta_linear(g, k, *self.params)


@dataclass(frozen=True)
class PowerExpansivity:
    """``eta = scale * G^exponent`` (sparsey-csa: ``10000 G^7``)."""

    scale: float = 10000.0
    exponent: float = 7.0
    kind = csa_kernels.ETA_POWER

    @property
    def params(self) -> tuple[float, ...]:
        return (self.scale, self.exponent)

    def __call__(self, g: np.ndarray, k: int) -> np.ndarray:
        return csa_kernels.eta_power(g, k, *self.params)


# --------------------------------------------------------------- V -> mu maps
class VToMu(Protocol):
    """``mu = f(V; eta, inflection)``: unnormalised selection weights, all > 0."""

    #: the inflection the mac starts from (None: the map has no moving inflection)
    initial_inflection: float | None

    def __call__(self, v: np.ndarray, eta: np.ndarray, inflection: float | None) -> np.ndarray: ...

    def next_inflection(self, inflection: float | None, best_mean_v: float,
                        mean_v: float) -> tuple[float | None, float]: ...


@dataclass(frozen=True)
class LogisticMu:
    """SparseyCore: ``mu = max(eta / (1 + exp(-nonlinearity (V - phi))), floor)``.

    ``V >= upper_v_cutoff`` gives ``mu = max(eta, floor)``.  The inflection
    ``phi`` ratchets from ``min_inflection`` towards ``max_inflection`` in
    ``ratchet_steps`` steps: one step on each learning frame whose mean ``V``
    over the mac exceeds ``ratchet_threshold`` and every earlier such mean
    (SparseyCore ``Mac.determine_Inflection_Point``), so the mac grows more
    selective as it saturates.
    """

    nonlinearity: float = 4.0
    floor: float = 1.0
    upper_v_cutoff: float = 0.999
    min_inflection: float = 0.5
    max_inflection: float = 0.9
    ratchet_threshold: float = 0.3
    ratchet_steps: int = 100
    kind = csa_kernels.MU_LOGISTIC

    @property
    def params(self) -> tuple[float, ...]:
        return (self.nonlinearity, self.floor, self.upper_v_cutoff)

    @property
    def initial_inflection(self) -> float:
        return self.min_inflection

    def __call__(self, v: np.ndarray, eta: np.ndarray, inflection: float | None) -> np.ndarray:
        phi = self.min_inflection if inflection is None else inflection
        return csa_kernels.mu_logistic(v, eta, phi, *self.params)

    def next_inflection(self, inflection: float | None, best_mean_v: float,
                        mean_v: float) -> tuple[float | None, float]:
        phi = self.min_inflection if inflection is None else inflection
        if mean_v > self.ratchet_threshold and mean_v > best_mean_v and phi < self.max_inflection:
            step = (self.max_inflection - self.min_inflection) / self.ratchet_steps
            return min(phi + step, self.max_inflection), mean_v
        return phi, best_mean_v


@dataclass(frozen=True)
class _FixedMu:
    """Base of the maps without a moving inflection."""

    initial_inflection = None

    def next_inflection(self, inflection: float | None, best_mean_v: float,
                        mean_v: float) -> tuple[float | None, float]:
        return inflection, best_mean_v


@dataclass(frozen=True)
class ExpLogitMu(_FixedMu):
    """sparseypy: ``mu = eta / (1 + exp(-nonlinearity V + offset)) + epsilon``.

    sparseypy samples from the logits ``log(mu)``; a categorical draw from
    logits ``log(mu)`` is a draw from ``mu / sum(mu)``.  Defaults from its
    validation network (``sigmoid_lambda = 28``, ``sigmoid_phi = 5``).  With
    ``eta = 0`` (G at or below ``g_min``) every cell gets ``epsilon``: a
    uniform draw.
    """

    nonlinearity: float = 28.0
    offset: float = 5.0
    epsilon: float = 1e-5
    kind = csa_kernels.MU_EXP_LOGIT

    @property
    def params(self) -> tuple[float, ...]:
        return (self.nonlinearity, self.offset, self.epsilon)

    def __call__(self, v: np.ndarray, eta: np.ndarray, inflection: float | None) -> np.ndarray:
        return csa_kernels.mu_exp_logit(v, eta, inflection, *self.params)


@dataclass(frozen=True)
class OffsetLogisticMu(_FixedMu):
    """sparsey-csa: ``mu = eta / (1 + exp(-(slope V - offset))) + floor`` (26, 13, +1)."""

    slope: float = 26.0
    offset: float = 13.0
    floor: float = 1.0
    kind = csa_kernels.MU_OFFSET_LOGISTIC

    @property
    def params(self) -> tuple[float, ...]:
        return (self.slope, self.offset, self.floor)

    def __call__(self, v: np.ndarray, eta: np.ndarray, inflection: float | None) -> np.ndarray:
        return csa_kernels.mu_offset_logistic(v, eta, inflection, *self.params)


_BUILTIN_ETA = (SparseyCoreExpansivity, LinearExpansivity, PowerExpansivity)
_BUILTIN_MU = (LogisticMu, ExpLogitMu, OffsetLogisticMu)


@dataclass(frozen=True)
class CSA:
    """The pluggable parts of the Code Selection Algorithm.

    Parameters
    ----------
    expansivity
        ``eta(G, K)``.
    v_to_mu
        The V -> mu map.
    learn_readout, recognize_readout
        ``"sample"`` (draw from ``mu``) or ``"argmax"`` (maximal ``V``, ties
        broken at random) when learning and when recognising.
    name
        A label recorded in results.
    """

    expansivity: Expansivity
    v_to_mu: VToMu
    learn_readout: str = "sample"
    recognize_readout: str = "argmax"
    name: str = "custom"

    def __post_init__(self) -> None:
        check_choice(self.learn_readout, "learn_readout", READOUTS)
        check_choice(self.recognize_readout, "recognize_readout", READOUTS)
        for attr, kind in (("expansivity", "eta(G, K)"), ("v_to_mu", "mu(V, eta, inflection)")):
            if not callable(getattr(self, attr)):
                raise TypeError(f"{attr} must be a callable {kind}, got {getattr(self, attr)!r}")


def csa_preset(name: str = "sparseycore") -> CSA:
    """The CSA of one of the three public implementations.

    Parameters
    ----------
    name
        ``"sparseycore"`` (Rinkus's SparseyCore / Sparsey_Alt: the default),
        ``"sparseypy"`` (SparseyTestingSystem) or ``"sparsey-csa"``
        (pulinagrawal/sparsey-csa).  Never mix one preset's ``eta`` with
        another's V -> mu map: their scales differ by orders of magnitude.
    """
    check_choice(name, "csa", PRESETS)
    if name == "sparseycore":
        return CSA(SparseyCoreExpansivity(), LogisticMu(), name=name)
    if name == "sparseypy":
        return CSA(LinearExpansivity(), ExpLogitMu(), name=name)
    return CSA(PowerExpansivity(), OffsetLogisticMu(), name=name)


# ---------------------------------------------------------------- code helpers
def codes_to_binary(winners: Any, cells_per_module: int) -> np.ndarray:
    """Binary cell vectors of codes given as winners per CM.

    Parameters
    ----------
    winners : int array, shape (..., Q)
        Winning cell of each CM (``0 .. K-1``), or -1 for no winner (an
        inactive mac).
    cells_per_module
        K.

    Returns
    -------
    uint8 ndarray, shape (..., Q * K)
    """
    winners = np.asarray(winners)
    k = check_int(cells_per_module, "cells_per_module", minimum=1)
    out = np.zeros(winners.shape[:-1] + (winners.shape[-1], k), dtype=np.uint8)
    active = winners >= 0
    np.put_along_axis(out, np.where(active, winners, 0)[..., None], active[..., None].astype(np.uint8), axis=-1)
    return out.reshape(winners.shape[:-1] + (winners.shape[-1] * k,))


def code_overlap(a: Any, b: Any) -> np.ndarray:
    """``|C(a) & C(b)| / Q``: the fraction of CMs in which two codes share their winner.

    ``a`` and ``b`` are winners per CM (shape (..., Q), broadcast against
    each other); a CM without a winner (-1) matches nothing.
    """
    a, b = np.asarray(a), np.asarray(b)
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"codes must have the same number of CMs, got shapes {a.shape} and {b.shape}")
    return np.mean((a == b) & (a >= 0), axis=-1)


# -------------------------------------------------------------------- results
@dataclass
class SparseyRecall(RecallResult):
    """What :meth:`SparseyMac.recall` and :meth:`Sparsey.recall` return.

    ``states`` are the recognised codes as binary cell vectors and
    ``patterns`` the stored inputs; ``overlaps`` is the code overlap
    ``|C & C_mu| / Q`` with each stored code (``stored_winners``).  The
    result holds references to the model's stored arrays, which the model
    replaces (never modifies) when it learns, so building a result costs
    the same however many items are stored.

    Attributes
    ----------
    winners : ndarray of int, shape (B, Q)
        Recognised code: the winning cell of each CM (-1: mac inactive).
    familiarity : ndarray, shape (B,)
        Global familiarity G of each cue (NaN where the mac was inactive).
    stored_winners : ndarray of int, shape (P, Q)
        The stored codes the overlaps refer to.
    """

    winners: np.ndarray = field(default=None, repr=False)
    familiarity: np.ndarray = field(default=None, repr=False)
    stored_winners: np.ndarray = field(default=None, repr=False)

    @property
    def overlaps(self) -> np.ndarray:
        """Code overlap with each stored code, shape (B, P)."""
        return code_overlap(self.winners[:, None, :], self.stored_winners[None, :, :])

    def overlap_with(self, targets: np.ndarray) -> np.ndarray:
        """Code overlap of each recognised code with its own target code (winners, shape (B, Q))."""
        targets = np.asarray(targets)
        if targets.shape != self.winners.shape:
            raise ValueError(f"targets must be codes of shape {self.winners.shape}, got {targets.shape}")
        return code_overlap(self.winners, targets)

    def to_xarray(self) -> xr.Dataset:
        """The result as a Dataset (adds ``winners`` and ``familiarity``)."""
        ds = super().to_xarray()
        ds["winners"] = (("cue", "module"), self.winners, {"long_name": "winning cell per CM (-1: inactive)"})
        ds["familiarity"] = (("cue",), self.familiarity, {"long_name": "global familiarity G", "units": "1"})
        return ds


# ----------------------------------------------------------------- the mac
def _append(buffer: np.ndarray, n_used: int, rows: np.ndarray) -> np.ndarray:
    """``buffer`` with ``rows`` written after its first ``n_used`` rows, grown by doubling when full.

    Rows already written never change, so views of them handed out earlier
    stay valid; appending costs amortised O(len(rows)), not O(n_used).
    """
    needed = n_used + rows.shape[0]
    if needed > buffer.shape[0]:
        grown = np.empty((max(needed, 2 * buffer.shape[0], 16),) + buffer.shape[1:], dtype=buffer.dtype)
        grown[:n_used] = buffer[:n_used]
        buffer = grown
    buffer[n_used:needed] = rows
    return buffer


def _check_band(band: Any) -> tuple[float, float]:
    if not isinstance(band, (tuple, list)) or len(band) != 2:
        raise TypeError(f"activation_band must be a pair (low, high) of fractions, got {band!r}")
    low = check_float(band[0], "activation_band[0]", 0.0, 1.0)
    high = check_float(band[1], "activation_band[1]", 0.0, 1.0)
    if low > high:
        raise ValueError(f"activation_band must have low <= high, got {band!r}")
    return low, high


def _resolve_csa(csa: "str | CSA") -> CSA:
    if isinstance(csa, CSA):
        return csa
    if isinstance(csa, str):
        return csa_preset(csa)
    raise TypeError(f"csa must be a preset name {PRESETS} or a CSA, got {type(csa).__name__} {csa!r}")


class SparseyMac(AssociativeMemory):
    """One Sparsey macrocolumn: Q competitive modules of K binary cells.

    Parameters
    ----------
    n_inputs
        Number of binary (bottom-up) input units N.
    n_modules
        Q, the number of CMs (the size of every code).
    cells_per_module
        K, the number of cells per CM.
    csa
        A preset name (``"sparseycore"``, ``"sparseypy"``, ``"sparsey-csa"``)
        or a :class:`CSA`.
    horizontal
        Give the mac horizontal (sequence) input: its own code of the
        previous frame, through a second set of binary weights.  Used by
        :meth:`learn_sequence` and :meth:`recall_sequence`.
    u_exponent, h_exponent
        Exponents of ``U`` and ``H`` in ``V = U^u_exponent H^h_exponent``.
    saturation_threshold
        Freeze an input's weights (its afferent bundle) once more than this
        fraction of them is set (1: never).
    activation_band
        ``(low, high)``: the mac is active only when the fraction of active
        inputs lies in ``[low, high]`` (and at least one input is active);
        otherwise its code is empty (winners -1).
    frozen_argmax
        ``None`` (default): learning always uses the CSA's learning readout
        (sampling).  A fraction ``f``: on a learning frame in which at least
        ``f`` of the active inputs' bundles are frozen, winners are chosen
        by the recognition rule (argmax V) instead, as SparseyCore does
        once a mac is frozen (its "ML" winner selection): the mac can no
        longer store a new code for such an input, so it passes on the code
        it will produce for it at recognition.
    backend
        ``"numpy"``, ``"numba"``, ``"cupy"`` or ``"auto"``.  The CSA kernels
        run on the host: with ``"cupy"`` the Numba kernels are used.
    seed
        Seeds the CSA's draws (stream ``"csa"``) and the recognition
        tie-breaks (stream ``"ties"``).

    Examples
    --------
    >>> import numpy as np
    >>> from engramsim.networks import SparseyMac
    >>> x = np.zeros((4, 16), dtype=np.uint8)
    >>> for i in range(4):
    ...     x[i, 4 * i:4 * i + 4] = 1
    >>> mac = SparseyMac(16, n_modules=5, cells_per_module=8, backend="numpy", seed=0)
    >>> codes = mac.learn(x)
    >>> bool((mac.recall(x).winners == codes).all())
    True
    """

    pattern_alphabet = (0, 1)
    state_alphabet = (0, 1)

    def __init__(
        self,
        n_inputs: int,
        n_modules: int = 8,
        cells_per_module: int = 8,
        *,
        csa: "str | CSA" = "sparseycore",
        horizontal: bool = False,
        u_exponent: float = 1.0,
        h_exponent: float = 1.0,
        saturation_threshold: float = 0.5,
        activation_band: tuple[float, float] = (0.0, 1.0),
        frozen_argmax: float | None = None,
        backend: "str | Backend" = "auto",
        seed: "int | np.random.Generator | None" = None,
    ):
        n_inputs = check_int(n_inputs, "n_inputs", minimum=1)
        super().__init__(max(n_inputs, 2), backend=backend, seed=seed)
        self.n_neurons = n_inputs
        self._patterns = np.zeros((0, n_inputs), dtype=np.int8)
        self.n_modules = check_int(n_modules, "n_modules", minimum=1)
        self.cells_per_module = check_int(cells_per_module, "cells_per_module", minimum=1)
        self.csa = _resolve_csa(csa)
        if not isinstance(horizontal, (bool, np.bool_)):
            raise TypeError(f"horizontal must be True or False, got {horizontal!r}")
        self.horizontal = bool(horizontal)
        self.u_exponent = check_float(u_exponent, "u_exponent", 0.0, strict_minimum=True)
        self.h_exponent = check_float(h_exponent, "h_exponent", 0.0, strict_minimum=True)
        self.saturation_threshold = check_float(saturation_threshold, "saturation_threshold", 0.0, 1.0)
        self.activation_band = _check_band(activation_band)
        self.frozen_argmax = (None if frozen_argmax is None
                              else check_float(frozen_argmax, "frozen_argmax", 0.0, 1.0))
        kernel_backend = get_backend("numba") if self.backend.name == "cupy" else self.backend
        self._csa_familiarity = kernel_backend.kernel("csa_familiarity")
        self._csa_choose = kernel_backend.kernel("csa_choose")
        self._sample = kernel_backend.kernel("csa_sample")
        # the built-in eta and mu forms run fused in one kernel; custom ones in NumPy
        self._fused = (isinstance(self.csa.expansivity, _BUILTIN_ETA)
                       and isinstance(self.csa.v_to_mu, _BUILTIN_MU))
        n_cells = self.n_cells
        self.weights = np.zeros((n_inputs, n_cells), dtype=np.uint8)
        self.frozen = np.zeros(n_inputs, dtype=bool)
        self.h_weights = np.zeros((n_cells, n_cells), dtype=np.uint8) if self.horizontal else None
        self.h_frozen = np.zeros(n_cells, dtype=bool) if self.horizontal else None
        self._no_h = (np.zeros((0, n_cells), dtype=np.uint8), np.zeros((1, 0), dtype=np.uint8))
        self.inflection = self.csa.v_to_mu.initial_inflection
        self._best_mean_v = -np.inf
        self._codes = np.zeros((0, self.n_modules), dtype=np.int64)
        self._pattern_buffer, self._code_buffer = self._patterns, self._codes

    # ----------------------------------------------------------- properties
    @property
    def n_cells(self) -> int:
        """Q * K, the number of cells in the coding field."""
        return self.n_modules * self.cells_per_module

    @property
    def codes(self) -> np.ndarray:
        """A copy of the codes chosen when learning, one row per learned input, shape (P, Q)."""
        return self._codes.copy()

    # --------------------------------------------------------------- inputs
    def _check_inputs(self, inputs: Any, name: str) -> np.ndarray:
        arr = self._check_patterns(inputs, name).astype(np.uint8)
        empty = np.flatnonzero(arr.sum(axis=1) == 0)
        if empty.size:
            raise ValueError(f"{name}[{int(empty[0])}] has no active inputs (all zeros); the CSA normalises "
                             f"the input summation by the number of active inputs, so every input needs at "
                             f"least one 1 ({empty.size} empty row(s))")
        return arr

    def _active(self, inputs: np.ndarray) -> np.ndarray:
        counts = inputs.sum(axis=1)
        low, high = self.activation_band
        if low == 0.0 and high == 1.0:
            return counts > 0
        fraction = counts / self.n_neurons
        return (counts > 0) & (fraction >= low) & (fraction <= high)

    # ----------------------------------------------------------------- the CSA
    def _familiarity(self, inputs: np.ndarray, previous: np.ndarray | None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """V (B, Q, K), G (B,) and mean V (B,) of validated, active inputs."""
        if self.horizontal and previous is not None:
            h_weights, h_inputs = self.h_weights, codes_to_binary(previous, self.cells_per_module)
        else:
            h_weights, h_inputs = self._no_h
            h_inputs = np.broadcast_to(h_inputs, (inputs.shape[0], 0))
        v, g, mean_v = self._csa_familiarity(self.weights, inputs, h_weights, h_inputs, self.n_modules,
                                             self.u_exponent, self.h_exponent)
        return v.reshape(-1, self.n_modules, self.cells_per_module), g, mean_v

    def _choose(self, v: np.ndarray, g: np.ndarray, readout: str, rng: np.random.Generator) -> np.ndarray:
        uniforms = rng.random(v.shape[:2])
        eta_f, mu_f = self.csa.expansivity, self.csa.v_to_mu
        if readout == "argmax" or self._fused:
            inflection = 0.0 if self.inflection is None else self.inflection
            return self._csa_choose(v, g, getattr(eta_f, "kind", 0), getattr(eta_f, "params", ()),
                                    getattr(mu_f, "kind", 0), getattr(mu_f, "params", ()), inflection,
                                    csa_kernels.ARGMAX if readout == "argmax" else csa_kernels.SAMPLE,
                                    uniforms)
        mu = mu_f(v, eta_f(g, self.cells_per_module)[:, None, None], self.inflection)
        return self._sample(mu, uniforms)

    def _frame(self, inputs: np.ndarray, learn: bool, previous: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """Run the CSA on validated inputs (B, N); learning needs B == 1.

        Returns winners (B, Q) (-1 rows for an inactive mac) and G (B,).
        """
        n_batch = inputs.shape[0]
        winners = np.full((n_batch, self.n_modules), -1, dtype=np.int64)
        familiarity = np.full(n_batch, np.nan)
        active = self._active(inputs)
        if not active.any():
            return winners, familiarity
        rows = np.flatnonzero(active)
        prev = None if previous is None else previous[rows]
        v, g, mean_v = self._familiarity(inputs[rows], prev)
        familiarity[rows] = g
        if learn:
            self.inflection, self._best_mean_v = self.csa.v_to_mu.next_inflection(
                self.inflection, self._best_mean_v, float(mean_v[0]))
            readout = self.csa.learn_readout
            if self.frozen_argmax is not None and (
                    self.frozen[np.flatnonzero(inputs[rows[0]])].mean() >= self.frozen_argmax):
                readout = "argmax"  # SparseyCore: max-V ("ML") winners once the mac is frozen
            chosen = self._choose(v, g, readout, self._stream("csa"))
            self._update(inputs[rows[0]], chosen[0], None if prev is None else prev[0])
        else:
            chosen = self._choose(v, g, self.csa.recognize_readout, self._stream("ties"))
        winners[rows] = chosen
        return winners, familiarity

    def _update(self, x: np.ndarray, winners: np.ndarray, previous: np.ndarray | None) -> None:
        cols = winners + self.cells_per_module * np.arange(self.n_modules)
        freezes = self.saturation_threshold < 1.0  # no bundle can be more than fully set
        changed = set_coactive(self.weights, np.flatnonzero(x), cols, self.frozen)
        if freezes:
            freeze_saturated(self.weights, changed, self.saturation_threshold, self.frozen)
        if self.horizontal and previous is not None and (previous >= 0).any():
            pre = np.flatnonzero(codes_to_binary(previous, self.cells_per_module))
            changed = set_coactive(self.h_weights, pre, cols, self.h_frozen)
            if freezes:
                freeze_saturated(self.h_weights, changed, self.saturation_threshold, self.h_frozen)

    def _run(self, inputs: np.ndarray, learn: bool, sequence: bool) -> tuple[np.ndarray, np.ndarray]:
        if sequence and not self.horizontal:
            raise ValueError("sequences need a mac built with horizontal=True")
        if not learn and not sequence:
            return self._frame(inputs, learn=False)
        winners = np.full((inputs.shape[0], self.n_modules), -1, dtype=np.int64)
        familiarity = np.full(inputs.shape[0], np.nan)
        previous = None
        for t in range(inputs.shape[0]):
            w, g = self._frame(inputs[t:t + 1], learn, previous)
            winners[t], familiarity[t] = w[0], g[0]
            previous = w if sequence else None
        return winners, familiarity

    # --------------------------------------------------------------- public verbs
    def learn(self, patterns: Any) -> np.ndarray:
        """Learn each input in a single trial, one after the other.

        Parameters
        ----------
        patterns : array of 0/1, shape (P, N) or (N,)
            Every row needs at least one active input; never modified.

        Returns
        -------
        ndarray of int, shape (P, Q)
            The code chosen for each input (winner per CM; -1 rows where the
            input fell outside the activation band).
        """
        inputs = self._check_inputs(patterns, "patterns")
        winners, _ = self._run(inputs, learn=True, sequence=False)
        self._remember(inputs, winners)
        return winners

    def store(self, patterns: Any) -> "SparseyMac":
        """Learn ``patterns`` (see :meth:`learn`); returns ``self``."""
        self.learn(patterns)
        return self

    def _remember(self, inputs: np.ndarray, winners: np.ndarray) -> None:
        n = self._codes.shape[0]
        self._pattern_buffer = _append(self._pattern_buffer, n, inputs.astype(np.int8))
        self._code_buffer = _append(self._code_buffer, n, winners)
        self._patterns = self._pattern_buffer[:n + inputs.shape[0]]
        self._codes = self._code_buffer[:n + inputs.shape[0]]

    def recall(self, cues: Any) -> SparseyRecall:
        """Recognise each cue (argmax-V readout by default); weights do not change.

        Parameters
        ----------
        cues : array of 0/1, shape (B, N) or (N,)

        Returns
        -------
        SparseyRecall
        """
        inputs = self._check_inputs(cues, "cues")
        winners, familiarity = self._run(inputs, learn=False, sequence=False)
        return self._result_of(winners, familiarity, sequence=False)

    def _result_of(self, winners: np.ndarray, familiarity: np.ndarray, sequence: bool) -> SparseyRecall:
        n = winners.shape[0]
        result = self._result(codes_to_binary(winners, self.cells_per_module), np.ones(n),
                              np.full(n, CONVERGED), csa=self.csa.name, n_modules=self.n_modules,
                              cells_per_module=self.cells_per_module, sequence=int(sequence))
        return SparseyRecall(states=result.states, steps=result.steps, converged=result.converged,
                             status=result.status, patterns=self._patterns, attrs=result.attrs,
                             winners=winners, familiarity=familiarity, stored_winners=self._codes)

    def propose(self, cues: Any) -> np.ndarray:
        """The codes learning would choose for each cue now, without learning them.

        Each cue is run through the CSA with the learning readout (sampling
        by default) against the current weights; nothing changes (neither
        the weights nor the inflection), so the cues are independent draws.

        Returns
        -------
        ndarray of int, shape (B, Q)
        """
        inputs = self._check_inputs(cues, "cues")
        winners = np.full((inputs.shape[0], self.n_modules), -1, dtype=np.int64)
        active = np.flatnonzero(self._active(inputs))
        if active.size:
            v, g, _ = self._familiarity(inputs[active], None)
            winners[active] = self._choose(v, g, self.csa.learn_readout, self._stream("csa"))
        return winners

    def familiarity(self, cues: Any) -> np.ndarray:
        """Global familiarity ``G`` of each cue (bottom-up input only), shape (B,)."""
        inputs = self._check_inputs(cues, "cues")
        _, g = self._frame(inputs, learn=False)
        return g

    def learn_sequence(self, frames: Any) -> np.ndarray:
        """Learn a sequence: frame t also gets frame t-1's code as horizontal input.

        Needs ``horizontal=True``.  Returns the codes, shape (T, Q).
        """
        inputs = self._check_inputs(frames, "frames")
        winners, _ = self._run(inputs, learn=True, sequence=True)
        self._remember(inputs, winners)
        return winners

    def recall_sequence(self, frames: Any) -> SparseyRecall:
        """Recognise a sequence, frame t with frame t-1's recognised code as horizontal input."""
        inputs = self._check_inputs(frames, "frames")
        winners, familiarity = self._run(inputs, learn=False, sequence=True)
        return self._result_of(winners, familiarity, sequence=True)


# ------------------------------------------------------------------ hierarchy
@dataclass(frozen=True)
class SparseyLevel:
    """One level of a :class:`Sparsey` hierarchy.

    Parameters
    ----------
    grid
        ``(rows, cols)`` of macs.
    receptive_field
        ``(rows, cols)`` of units of the level below that each mac reads:
        pixels for the first level, macs (their whole codes) above.  ``None``
        reads the whole level below.  The fields are spread evenly over the
        level below, first at its top-left corner and last at its
        bottom-right (they overlap when they do not tile it).
    n_modules, cells_per_module
        Q and K of every mac of the level.
    csa, saturation_threshold
        Per-level values of these :class:`SparseyMac` parameters; ``None``
        (default) takes the hierarchy's.  SparseyCore configures each
        region (level) separately in the same way.
    """

    grid: tuple[int, int] = (1, 1)
    receptive_field: tuple[int, int] | None = None
    n_modules: int = 8
    cells_per_module: int = 8
    csa: str | CSA | None = None
    saturation_threshold: float | None = None


def _pair(value: Any, name: str) -> tuple[int, int]:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(f"{name} must be a pair (rows, cols) of integers, got {value!r}")
    return check_int(value[0], f"{name}[0]", minimum=1), check_int(value[1], f"{name}[1]", minimum=1)


def _mean_of_active(g: np.ndarray) -> np.ndarray:
    """Row means over the finite entries of ``g`` (B, n_macs); NaN where none is finite."""
    finite = np.isfinite(g)
    count = finite.sum(axis=1)
    total = np.where(finite, g, 0.0).sum(axis=1)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _field_starts(n_lower: int, n_macs: int, size: int) -> list[int]:
    if n_macs == 1:
        return [(n_lower - size) // 2]
    return [int(round(i * (n_lower - size) / (n_macs - 1))) for i in range(n_macs)]


class Sparsey(AssociativeMemory):
    """A hierarchy of Sparsey macs: each level's macs read patches of the level below.

    Every frame runs the CSA level by level, bottom-up: the first level's
    macs read (overlapping) patches of the binary input image; the macs of
    each higher level read the codes of a patch of macs of the level below.
    A mac whose patch has no active unit (or lies outside its activation
    band) is inactive: its code is empty.  Learning is single-trial at every
    level at once.

    Parameters
    ----------
    input_shape
        ``(rows, cols)`` of the input image; inputs are flattened row-major
        (rows, cols, channels) to length ``rows * cols * channels``.
    levels
        :class:`SparseyLevel` specifications, bottom first (at least one).
    channels
        Binary units per pixel (for example 2 for complement coding ``x,
        1 - x``); a receptive field takes all channels of its pixels.
    csa, horizontal, u_exponent, h_exponent, saturation_threshold, activation_band, frozen_argmax
        Passed to every :class:`SparseyMac` (``csa`` and
        ``saturation_threshold`` unless its level sets its own); with
        ``horizontal=True`` each mac gets its own previous code as
        horizontal input in sequences.
    backend
        ``"numpy"``, ``"numba"``, ``"cupy"`` or ``"auto"``.
    seed
        Seeds every mac (each from its own named stream).

    Examples
    --------
    >>> import numpy as np
    >>> from engramsim.networks import Sparsey, SparseyLevel
    >>> net = Sparsey((8, 8), [SparseyLevel((3, 3), (4, 4), 6, 8), SparseyLevel((1, 1), None, 8, 8)],
    ...               backend="numpy", seed=0)
    >>> images = (np.random.default_rng(0).random((5, 64)) < 0.3).astype(np.uint8)
    >>> codes = net.learn(images)[-1]          # top-level codes, shape (5, 1, 8)
    >>> bool((net.recall(images).winners == codes.reshape(5, -1)).all())
    True
    """

    pattern_alphabet = (0, 1)
    state_alphabet = (0, 1)

    def __init__(
        self,
        input_shape: tuple[int, int],
        levels: "list[SparseyLevel] | tuple[SparseyLevel, ...]",
        *,
        channels: int = 1,
        csa: "str | CSA" = "sparseycore",
        horizontal: bool = False,
        u_exponent: float = 1.0,
        h_exponent: float = 1.0,
        saturation_threshold: float = 0.5,
        activation_band: tuple[float, float] = (0.0, 1.0),
        frozen_argmax: float | None = None,
        backend: "str | Backend" = "auto",
        seed: "int | np.random.Generator | None" = None,
    ):
        shape = _pair(input_shape, "input_shape")
        self.channels = check_int(channels, "channels", minimum=1)
        super().__init__(max(shape[0] * shape[1] * self.channels, 2), backend=backend, seed=seed)
        self.n_neurons = shape[0] * shape[1] * self.channels
        self._patterns = np.zeros((0, self.n_neurons), dtype=np.int8)
        self.input_shape = shape
        if not isinstance(levels, (list, tuple)) or not levels:
            raise ValueError(f"levels must be a non-empty list of SparseyLevel, got {levels!r}")
        self.levels: list[SparseyLevel] = []
        self.macs: list[list[SparseyMac]] = []
        self._fields: list[list[np.ndarray]] = []
        lower_grid, unit = shape, self.channels
        for l_i, level in enumerate(levels):
            if not isinstance(level, SparseyLevel):
                raise TypeError(f"levels[{l_i}] must be a SparseyLevel, got {type(level).__name__} {level!r}")
            grid = _pair(level.grid, f"levels[{l_i}].grid")
            rf = lower_grid if level.receptive_field is None else _pair(level.receptive_field,
                                                                       f"levels[{l_i}].receptive_field")
            if rf[0] > lower_grid[0] or rf[1] > lower_grid[1]:
                raise ValueError(f"levels[{l_i}].receptive_field must fit in the level below "
                                 f"{lower_grid}, got {rf}")
            q = check_int(level.n_modules, f"levels[{l_i}].n_modules", minimum=1)
            k = check_int(level.cells_per_module, f"levels[{l_i}].cells_per_module", minimum=1)
            level_csa = _resolve_csa(csa if level.csa is None else level.csa)
            level_saturation = (saturation_threshold if level.saturation_threshold is None else
                                check_float(level.saturation_threshold, f"levels[{l_i}].saturation_threshold",
                                            0.0, 1.0))
            fields, macs = [], []
            for r0 in _field_starts(lower_grid[0], grid[0], rf[0]):
                for c0 in _field_starts(lower_grid[1], grid[1], rf[1]):
                    units = (np.arange(r0, r0 + rf[0])[:, None] * lower_grid[1]
                             + np.arange(c0, c0 + rf[1])[None, :]).ravel()
                    fields.append((units[:, None] * unit + np.arange(unit)[None, :]).ravel())
                    macs.append(SparseyMac(
                        fields[-1].size, q, k, csa=level_csa, horizontal=horizontal, u_exponent=u_exponent,
                        h_exponent=h_exponent, saturation_threshold=level_saturation,
                        activation_band=activation_band, frozen_argmax=frozen_argmax, backend=self.backend,
                        seed=self._stream(f"level{l_i}-mac{len(macs)}")))
            self.levels.append(SparseyLevel(grid, rf, q, k, level_csa, level_saturation))
            self.macs.append(macs)
            self._fields.append(fields)
            lower_grid, unit = grid, q * k
        self._codes: list[np.ndarray] = [np.zeros((0, len(m), lv.n_modules), dtype=np.int64)
                                         for m, lv in zip(self.macs, self.levels)]
        self._pattern_buffer, self._code_buffers = self._patterns, list(self._codes)

    @property
    def codes(self) -> list[np.ndarray]:
        """Copies of the codes chosen when learning: per level, shape (P, n_macs, Q)."""
        return [c.copy() for c in self._codes]

    def _check_inputs(self, inputs: Any, name: str) -> np.ndarray:
        arr = self._check_patterns(inputs, name).astype(np.uint8)
        empty = np.flatnonzero(arr.sum(axis=1) == 0)
        if empty.size:
            raise ValueError(f"{name}[{int(empty[0])}] has no active inputs (all zeros); every input "
                             f"needs at least one 1 ({empty.size} empty row(s))")
        return arr

    def _frame(self, inputs: np.ndarray, learn: bool, previous: list[np.ndarray] | None
               ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """All levels, bottom-up; returns per level winners (B, n_macs, Q) and G (B, n_macs)."""
        below = inputs
        winners, familiarity = [], []
        for l_i, (level, macs, fields) in enumerate(zip(self.levels, self.macs, self._fields)):
            w = np.empty((inputs.shape[0], len(macs), level.n_modules), dtype=np.int64)
            g = np.empty((inputs.shape[0], len(macs)))
            for m_i, (mac, units) in enumerate(zip(macs, fields)):
                prev = None if previous is None else previous[l_i][:, m_i]
                w[:, m_i], g[:, m_i] = mac._frame(below[:, units], learn, prev)
            winners.append(w)
            familiarity.append(g)
            below = codes_to_binary(w, level.cells_per_module).reshape(inputs.shape[0], -1)
        return winners, familiarity

    def _run(self, inputs: np.ndarray, learn: bool, sequence: bool
             ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        if sequence and not self.macs[0][0].horizontal:
            raise ValueError("sequences need a Sparsey built with horizontal=True")
        if not learn and not sequence:
            return self._frame(inputs, learn=False, previous=None)
        frames = []
        previous = None
        for t in range(inputs.shape[0]):
            frames.append(self._frame(inputs[t:t + 1], learn, previous))
            previous = frames[-1][0] if sequence else None
        return ([np.concatenate([f[0][l] for f in frames]) for l in range(len(self.levels))],
                [np.concatenate([f[1][l] for f in frames]) for l in range(len(self.levels))])

    def learn(self, patterns: Any) -> list[np.ndarray]:
        """Learn each input image in a single trial, one after the other.

        Parameters
        ----------
        patterns : array of 0/1, shape (P, rows * cols) or (rows * cols,)

        Returns
        -------
        list of ndarray of int
            Per level, the codes chosen, shape (P, n_macs, Q) (-1: mac inactive).
        """
        inputs = self._check_inputs(patterns, "patterns")
        winners, _ = self._run(inputs, learn=True, sequence=False)
        self._remember(inputs, winners)
        return winners

    def store(self, patterns: Any) -> "Sparsey":
        """Learn ``patterns`` (see :meth:`learn`); returns ``self``."""
        self.learn(patterns)
        return self

    def _remember(self, inputs: np.ndarray, winners: list[np.ndarray]) -> None:
        n, new = self._patterns.shape[0], inputs.shape[0]
        self._pattern_buffer = _append(self._pattern_buffer, n, inputs.astype(np.int8))
        self._patterns = self._pattern_buffer[:n + new]
        self._code_buffers = [_append(b, n, w) for b, w in zip(self._code_buffers, winners)]
        self._codes = [b[:n + new] for b in self._code_buffers]

    def encode(self, cues: Any) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Recognise each cue at every level; weights do not change.

        Returns
        -------
        winners, familiarity : lists over levels
            Codes, shape (B, n_macs, Q), and G, shape (B, n_macs) (NaN: inactive).
        """
        inputs = self._check_inputs(cues, "cues")
        return self._run(inputs, learn=False, sequence=False)

    def recall(self, cues: Any) -> SparseyRecall:
        """Recognise each cue; the result holds the top level's code (its macs' codes side by side)."""
        winners, familiarity = self.encode(cues)
        return self._top_result(winners, familiarity, sequence=False)

    def _top_result(self, winners: list[np.ndarray], familiarity: list[np.ndarray], sequence: bool
                    ) -> SparseyRecall:
        top, k = self.levels[-1], self.levels[-1].cells_per_module
        codes = winners[-1].reshape(winners[-1].shape[0], -1)
        stored = self._codes[-1].reshape(self._codes[-1].shape[0], -1)
        n = codes.shape[0]
        base = self._result(codes_to_binary(codes, k), np.ones(n), np.full(n, CONVERGED),
                            csa=self.macs[0][0].csa.name, n_levels=len(self.levels),
                            n_modules=top.n_modules, cells_per_module=k, sequence=int(sequence))
        return SparseyRecall(states=base.states, steps=base.steps, converged=base.converged,
                             status=base.status, patterns=self._patterns, attrs=base.attrs,
                             winners=codes, familiarity=_mean_of_active(familiarity[-1]),
                             stored_winners=stored)

    def learn_sequence(self, frames: Any) -> list[np.ndarray]:
        """Learn a sequence of images; each mac gets its previous code as horizontal input."""
        inputs = self._check_inputs(frames, "frames")
        winners, _ = self._run(inputs, learn=True, sequence=True)
        self._remember(inputs, winners)
        return winners

    def recall_sequence(self, frames: Any) -> SparseyRecall:
        """Recognise a sequence of images (horizontal input from the previous frame's codes)."""
        inputs = self._check_inputs(frames, "frames")
        winners, familiarity = self._run(inputs, learn=False, sequence=True)
        return self._top_result(winners, familiarity, sequence=True)
