"""The pluggable parts of the Code Selection Algorithm: expansivity ``eta(G)``, the V -> mu
map, the readouts, and the three published presets (:func:`csa_preset`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from engramsim.errors import ValidationTypeError

from engramsim.sim.kernels import csa_numpy as csa_kernels
from engramsim.sim.validation import check_choice

__all__ = [
    "CSA", "PRESETS", "READOUTS", "Expansivity", "ExpLogitMu", "LinearExpansivity", "LogisticMu",
    "OffsetLogisticMu", "PowerExpansivity", "SparseyCoreExpansivity", "VToMu", "csa_preset",
]

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


def _resolve_csa(csa: "str | CSA") -> CSA:
    if isinstance(csa, CSA):
        return csa
    if isinstance(csa, str):
        return csa_preset(csa)
    raise ValidationTypeError(f"csa must be a preset name {PRESETS} or a CSA, got {type(csa).__name__} {csa!r}")
