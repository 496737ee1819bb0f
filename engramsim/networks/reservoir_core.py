"""The simulation core shared by the FORCE network and the three-factor reservoir.

:class:`SpikingReservoirCore` holds N Izhikevich (2007) cells
(``C v' = k (v - v_r)(v - v_t) - u + I``, ``u' = a (b (v - v_r) - u)``, updated by
:func:`engramsim.sim.spiking.cells.izhikevich2007.integrate` and ``reset``;
``v >= v_peak``: ``v <- v_reset``, ``u <- u + d``) in the FORCE reference's
units (pF, pA, mV, ms), a fixed recurrent weight matrix ``W[post, pre]``
(pA), double-exponential synapses whose filtered spike trains ``r`` (1/ms)
are the readout features, feedback encoders ``E`` (pA per unit of readout)
and input encoders ``U`` (pA per unit of input).  :meth:`run` steps it with
the backend's ``"reservoir_run"`` kernel (NumPy reference or Numba twin).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from engramsim.sim.persist import Persistent
from engramsim.sim.backends import KernelSpec, get_backend
from engramsim.sim.validation import check_float, check_real_array

#: the simulation loop: NumPy reference and its Numba twin (imported on first use)
RESERVOIR_KERNEL = KernelSpec("reservoir_run", {"numpy": "engramsim.networks._reservoir_numpy:reservoir_run",
                                                "numba": "engramsim.networks._reservoir_numba:reservoir_run"})

#: the cell parameters, in the kernel's order
CELL_PARAMETERS = ("c_m", "k", "v_r", "v_t", "a", "b", "d", "v_reset", "v_peak", "bias")

#: Nicola & Clopath (2017) IZFORCESINE.m: C (pF), k (pA/mV^2), v_r, v_peak, v_reset (mV), a (1/ms), b (nS), d, bias (pA)
FORCE_CELL = {"c_m": 250.0, "k": 2.5, "v_r": -60.0, "b": -2.0, "a": 0.01, "d": 200.0, "v_peak": 30.0,
              "v_reset": -65.0, "bias": 1000.0}


def threshold_voltage(v_r: Any, b: Any, k: Any) -> Any:
    """``v_t = v_r + 40 - b/k`` as in the reference (-19.2 mV for its cell)."""
    return v_r + 40.0 - b / k


MODES = {"none": 0, "rls": 1, "three-factor": 2}


@dataclass
class RunRecord:
    """What one :meth:`SpikingReservoirCore.run` call returns.

    Attributes
    ----------
    z : ndarray, shape (steps, K)
        The readout at every step (before that step's weight update).
    spike_counts : ndarray of int64, shape (steps,)
        Spikes per step.
    r_mean : ndarray, shape (N,)
        Mean of the features ``r`` over the steps flagged in ``average_mask`` (zeros if none).
    power : float
        Mean of ``|r - offset|^2`` over those steps.
    spike_steps, spike_neurons : ndarray of int64
        The first ``spike_capacity`` spikes (step, cell).
    n_spikes : int
        All spikes in the run.
    """

    z: np.ndarray
    spike_counts: np.ndarray
    r_mean: np.ndarray
    power: float
    spike_steps: np.ndarray
    spike_neurons: np.ndarray
    n_spikes: int


class SpikingReservoirCore(Persistent):
    """N Izhikevich (2007) cells with fixed recurrent weights, feedback and input encoders.

    Parameters
    ----------
    cells
        Parameter name (see :data:`CELL_PARAMETERS`; ``v_t`` defaults to
        :func:`threshold_voltage`) -> scalar or array of length N.
    weights : array, shape (N, N)
        ``W[post, pre]`` in pA (a spike of cell j adds column j to the
        synaptic drive).
    encoders : array, shape (N, K)
        Feedback of the K readouts into each cell's current (pA).
    input_encoders : array, shape (N, M)
        External inputs into each cell's current (pA).
    dt, tau_rise, tau_decay
        Time step and synaptic time constants (ms).
    backend
        ``"numpy"``, ``"numba"`` or ``"auto"``.
    """

    _TRANSIENT = ("_kernel",)

    def _attach_kernels(self) -> None:
        self._kernel = self.backend.kernel(RESERVOIR_KERNEL)

    def __init__(self, cells: dict[str, Any], weights: Any, encoders: Any, input_encoders: Any, *,
                 dt: float, tau_rise: float = 2.0, tau_decay: float = 20.0, backend: str = "auto"):
        w = check_real_array(weights, "weights", ndim=2)
        n = w.shape[0]
        if w.shape != (n, n):
            raise ValueError(f"weights must be square (N, N), got shape {w.shape}")
        self.n = n
        self.encoders = check_real_array(encoders, "encoders", shape=(n, None), allow_empty=True)
        self.input_encoders = check_real_array(input_encoders, "input_encoders", shape=(n, None), allow_empty=True)
        self.dt = check_float(dt, "dt", 0.0, strict_minimum=True)
        self.tau_rise = check_float(tau_rise, "tau_rise", 0.0, strict_minimum=True)
        self.tau_decay = check_float(tau_decay, "tau_decay", 0.0, strict_minimum=True)
        if self.tau_rise == self.tau_decay:
            raise ValueError(f"tau_rise and tau_decay must differ, got {self.tau_rise} for both")
        values = dict(cells)
        if "v_t" not in values:
            values["v_t"] = threshold_voltage(np.asarray(values["v_r"], float), np.asarray(values["b"], float),
                                              np.asarray(values["k"], float))
        unknown = sorted(set(values) - set(CELL_PARAMETERS))
        if unknown:
            raise ValueError(f"unknown cell parameter(s) {unknown}; parameters are {CELL_PARAMETERS}")
        self.cell = {}
        for name in CELL_PARAMETERS:
            arr = np.broadcast_to(check_real_array(np.atleast_1d(values[name]), f"cells[{name!r}]", ndim=1),
                                  (n,)) if np.size(values[name]) in (1, n) else None
            if arr is None:
                raise ValueError(f"cells[{name!r}] must be a scalar or have length {n}, got size {np.size(values[name])}")
            self.cell[name] = np.ascontiguousarray(arr, dtype=np.float64)
        for name in ("c_m", "k"):
            if np.any(self.cell[name] <= 0):
                raise ValueError(f"cells[{name!r}] must be > 0")
        self.w_pre = np.ascontiguousarray(w.T)
        self.backend = get_backend(backend, kernels=[RESERVOIR_KERNEL])
        self._kernel = self.backend.kernel(RESERVOIR_KERNEL)
        n_out = self.encoders.shape[1]
        self.v = np.full(n, -60.0)
        self.u = np.zeros(n)
        self.ipsc, self.h, self.r, self.hr, self.trace = (np.zeros(n) for _ in range(5))
        self.z = np.zeros(n_out)

    @property
    def n_outputs(self) -> int:
        """Number of readouts K (columns of the feedback encoders)."""
        return self.encoders.shape[1]

    def initialize(self, v: Any, u: Any = 0.0) -> None:
        """Set the membrane state and clear synapses, features, trace and readout."""
        self.v[:] = check_real_array(np.broadcast_to(v, (self.n,)), "v")
        self.u[:] = check_real_array(np.broadcast_to(u, (self.n,)), "u")
        for arr in (self.ipsc, self.h, self.r, self.hr, self.trace, self.z):
            arr[:] = 0.0

    def run(self, inputs: np.ndarray, decoder: np.ndarray, *, mode: str = "none", p: np.ndarray | None = None,
            targets: np.ndarray | None = None, gate: np.ndarray | None = None, learn: np.ndarray | None = None,
            learning_rate: float = 0.0, normalize: bool = True, tau_eligibility: float = 20.0,
            average_mask: np.ndarray | None = None, spike_capacity: int = 0,
            offset: np.ndarray | None = None) -> RunRecord:
        """Step ``inputs.shape[0]`` times; ``decoder`` (and ``p``) are updated in place when learning.

        Arrays are used as given (the network classes check them); shapes:
        ``inputs (T, M)``, ``decoder (N, K)``, ``p (N, N)``, ``targets`` and
        ``gate (T, K)``, ``learn`` and ``average_mask (T,)`` booleans,
        ``offset (N,)`` (the readouts see ``r - offset``; default zero).
        """
        steps = inputs.shape[0]
        k = self.n_outputs
        if mode not in MODES:
            raise ValueError(f"mode must be one of {tuple(MODES)}, got {mode!r}")
        p = np.zeros((1, 1)) if p is None else p
        targets = np.zeros((steps, k)) if targets is None else targets
        gate = np.zeros((steps, k)) if gate is None else gate
        learn = np.zeros(steps, dtype=np.bool_) if learn is None else learn
        average_mask = np.zeros(steps, dtype=np.bool_) if average_mask is None else average_mask
        out_z = np.zeros((steps, k))
        counts = np.zeros(steps, dtype=np.int64)
        r_sum = np.zeros(self.n)
        power_sum = np.zeros(1)
        offset = np.zeros(self.n) if offset is None else np.ascontiguousarray(offset, dtype=np.float64)
        spike_steps = np.zeros(spike_capacity, dtype=np.int64)
        spike_neurons = np.zeros(spike_capacity, dtype=np.int64)
        state = (self.v, self.u, self.ipsc, self.h, self.r, self.hr, self.trace, self.z)
        cell = tuple(self.cell[name] for name in CELL_PARAMETERS)
        n_spikes = self._kernel(state, cell, self.w_pre, self.encoders, self.input_encoders,
                                np.ascontiguousarray(inputs, dtype=np.float64), decoder, offset, p, targets, gate,
                                learn,
                                MODES[mode], float(learning_rate), bool(normalize), float(tau_eligibility),
                                self.dt, self.tau_rise, self.tau_decay, average_mask, out_z, counts, r_sum,
                                power_sum, spike_steps, spike_neurons)
        n_avg = int(np.count_nonzero(average_mask))
        kept = min(int(n_spikes), spike_capacity)
        return RunRecord(out_z, counts, r_sum / max(n_avg, 1), float(power_sum[0]) / max(n_avg, 1),
                         spike_steps[:kept], spike_neurons[:kept], int(n_spikes))
