"""sPyNNaker's fixed-point arithmetic as functions of arrays (an emulation checked by hand, not on a board).

What a SpiNNaker core stores and computes, per sPyNNaker 7.4.1:

* **s16.15 accumulators** (``accum``): every membrane and synaptic value is an
  integer count of ``2**-15`` (mV or nA), 32 bits signed.  Parameters are
  sent rounded to that grid (``DataType.S1615``, round half to even).
  A product of two accums is truncated (arithmetic shift right by 15).
* **Exponential factors** (decay, synaptic ``init``) as unsigned 0.32 fractions;
  ``x * d`` is ``(x * d) >> 32``.
* **Weights in ring-buffer units**: a weight ``w`` nA into a population whose
  ring-buffer shift is ``r`` is stored as ``floor(w * 2**(15 - r))`` in 16 bits
  (see :mod:`engramsim.hardware.spinnaker` for how ``r`` is chosen) and enters
  the synaptic current as ``units << r`` raw s16.15.
* **STDP**: traces are 16-bit with ``2048`` as one; decays come from a table
  ``floor(2048 * exp(-k dt / tau))`` for ``k`` below ``ln(2048) tau / dt``
  rounded up to an even count (24 entries for ``tau = 3 dt``), 0 beyond.

:func:`lif_run` steps a population of ``IF_curr_exp`` cells on given inputs
in either arithmetic: ``"float"`` calls the engine's own step
(:func:`engramsim.sim.spiking.cells.if_curr_exp.step_numpy`), ``"spinnaker"``
the fixed-point twin :func:`lif_step_fixed` (NumPy) or its Numba twin.  The STDP rule in this arithmetic
is :mod:`engramsim.hardware.stdp_fixed`.

Limits of the emulation: the chip computes ``exp(-dt/tau)`` and ``init`` from
the s16.15 parameters with its own routine; here they are computed in double
precision from the rounded parameters and rounded to 0.32, which may differ in
the last bit.  Nothing here was run against a board.  The engine runs whole
networks with these cells through :mod:`engramsim.hardware.spinnaker_cell`
(:func:`engramsim.hardware.emulate.to_fixed_point`), where STDP stays in double
precision; :func:`engramsim.hardware.emulate.run_fixed_point` runs cells and STDP in fixed point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from engramsim.sim.validation import check_choice, check_float, check_real_array

S1615_ONE = 1 << 15
U032_ONE = 1 << 32
STDP_ONE = 1 << 11
S1615_MIN, S1615_MAX = -(1 << 31), (1 << 31) - 1


def to_s1615(x: Any) -> np.ndarray:
    """Raw s16.15 integers (int64) of ``x``, rounded half to even as sPyNNaker encodes parameters."""
    arr = np.asarray(x, dtype=np.float64)
    raw = np.round(arr * S1615_ONE)
    if np.any(raw < S1615_MIN) or np.any(raw > S1615_MAX):
        raise ValueError(f"x must lie in [-65536, 65536) to fit s16.15, got {float(np.max(np.abs(arr)))}")
    return raw.astype(np.int64)


def from_s1615(raw: Any) -> np.ndarray:
    """Floats of raw s16.15 integers."""
    return np.asarray(raw, dtype=np.float64) / S1615_ONE


def to_u032(x: Any) -> np.ndarray:
    """Raw unsigned 0.32 fractions (int64) of ``x`` in [0, 1), rounded to nearest."""
    arr = np.asarray(x, dtype=np.float64)
    if np.any(arr < 0) or np.any(arr >= 1):
        raise ValueError("x must lie in [0, 1) to fit an unsigned 0.32 fraction")
    return np.minimum(np.round(arr * U032_ONE), U032_ONE - 1).astype(np.int64)


def mul_s1615(a: Any, b: Any) -> np.ndarray:
    """Product of raw s16.15 values, truncated toward minus infinity (``(a * b) >> 15``)."""
    return (np.asarray(a, dtype=np.int64) * np.asarray(b, dtype=np.int64)) >> 15


def mul_u032(a: Any, d: Any) -> np.ndarray:
    """Raw s16.15 ``a`` times a raw 0.32 fraction ``d``, truncated (``(a * d) >> 32``).

    The product is formed exactly: ``a`` in 32 bits times ``d`` in 32 bits
    needs 63 bits, split here so that no intermediate overflows int64.
    """
    a = np.asarray(a, dtype=np.int64)
    d = np.asarray(d, dtype=np.int64)
    hi, lo = d >> 16, d & 0xFFFF
    return ((a * hi) + ((a * lo) >> 16)) >> 16


def ring_buffer_units(weights: Any, shift: int) -> np.ndarray:
    """Weights (nA, magnitudes) as 16-bit ring-buffer units for a shift ``shift``: ``floor(|w| 2**(15 - shift))``."""
    w = np.abs(check_real_array(weights, "weights", ndim=(0, 1, 2), allow_empty=True))
    units = np.floor(w * 2.0 ** (15 - int(shift)))
    if np.any(units > 0xFFFF):
        raise ValueError(f"weights: {float(w.max())} nA needs more than 16 bits at shift {shift}; raise the shift")
    return units.astype(np.int64)


def exp_lut(tau: float, dt: float = 1.0) -> np.ndarray:
    """sPyNNaker's STDP decay table ``floor(2048 exp(-k dt / tau))`` (its length rounded up to even)."""
    tau = check_float(tau, "tau", 0.0, strict_minimum=True)
    dt = check_float(dt, "dt", 0.0, strict_minimum=True)
    lam = dt / tau
    half, extra = divmod(math.log(STDP_ONE) / lam, 2)
    size = (int(half) + (extra > 0)) * 2
    return np.floor(np.exp(-np.arange(size) * lam) * STDP_ONE).astype(np.int64)


def to_int16(x: Any) -> np.ndarray:
    """``x`` wrapped to a signed 16-bit integer (as a C cast to ``int16_t``), held in int64."""
    return ((np.asarray(x, dtype=np.int64) + 0x8000) & 0xFFFF) - 0x8000


def fixed_mul16(a: Any, b: Any) -> np.ndarray:
    """The low 16 bits of ``a`` and ``b`` multiplied as signed numbers, shifted right by 11 (STDP fixed point)."""
    return (to_int16(a) * to_int16(b)) >> 11


def lut_value(delta: Any, lut: np.ndarray) -> np.ndarray:
    """``lut[delta]``, 0 past the table; a negative ``delta`` (an unsigned wrap on the chip) is past it too."""
    delta = np.asarray(delta, dtype=np.int64)
    inside = (delta >= 0) & (delta < lut.size)
    return np.where(inside, lut[np.clip(delta, 0, lut.size - 1)], 0)


def decay_trace(trace: Any, delta: Any, lut: np.ndarray) -> np.ndarray:
    """A 16-bit trace ``trace`` (2048 = 1) after ``delta`` steps: ``(trace * lut[delta]) >> 11``, 0 past the table."""
    return fixed_mul16(trace, lut_value(delta, lut))


def add_spike_to_trace(trace: Any, delta: Any, lut: np.ndarray) -> np.ndarray:
    """A pair-rule trace at a new spike: the old one decayed over ``delta`` steps, plus one (2048), as ``int16``."""
    return to_int16(decay_trace(trace, delta, lut) + STDP_ONE)


@dataclass(frozen=True)
class LIFConstants:
    """Raw per-cell constants of the fixed-point ``IF_curr_exp`` step."""

    v_rest: np.ndarray
    r_membrane: np.ndarray
    exp_tc: np.ndarray
    v_thresh: np.ndarray
    v_reset: np.ndarray
    i_offset: np.ndarray
    refract_steps: np.ndarray
    init_e: np.ndarray
    init_i: np.ndarray
    decay_e: np.ndarray
    decay_i: np.ndarray


def lif_constants(parameters: dict[str, Any], size: int, dt: float) -> LIFConstants:
    """Fixed-point constants from PyNN ``IF_curr_exp`` parameters (rounded to s16.15 first, as sent)."""
    from engramsim.sim.spiking.cells.if_curr_exp import refractory_steps

    q = {k: from_s1615(to_s1615(np.broadcast_to(np.asarray(parameters[k], dtype=float), (size,))))
         for k in ("cm", "tau_m", "tau_refrac", "tau_syn_E", "tau_syn_I", "i_offset", "v_reset", "v_rest",
                   "v_thresh")}
    decay_e, decay_i = np.exp(-dt / q["tau_syn_E"]), np.exp(-dt / q["tau_syn_I"])
    return LIFConstants(
        v_rest=to_s1615(q["v_rest"]), r_membrane=to_s1615(q["tau_m"] / q["cm"]),
        exp_tc=to_s1615(np.exp(-dt / q["tau_m"])), v_thresh=to_s1615(q["v_thresh"]),
        v_reset=to_s1615(q["v_reset"]), i_offset=to_s1615(q["i_offset"]),
        refract_steps=refractory_steps(q["tau_refrac"], dt),
        init_e=to_u032(q["tau_syn_E"] / dt * (1 - decay_e)), init_i=to_u032(q["tau_syn_I"] / dt * (1 - decay_i)),
        decay_e=to_u032(decay_e), decay_i=to_u032(decay_i))


def lif_step_fixed(v: np.ndarray, ie: np.ndarray, ii: np.ndarray, refract: np.ndarray, exc: np.ndarray,
                   inh: np.ndarray, c: LIFConstants) -> np.ndarray:
    """One step of every cell in place, all raw integers (int64); returns the spikes (bool).

    ``exc``, ``inh``: raw s16.15 input arriving this step (ring-buffer units
    shifted left by the population's shift).  Order as the engine's float step:
    inputs enter the currents through ``init``; a cell outside its refractory
    period takes ``V <- alpha - exp_tc (alpha - V)`` with ``alpha = I R + v_rest``;
    ``V >= v_thresh`` spikes and resets; the currents decay.
    """
    ie += mul_u032(exc, c.init_e)
    ii += mul_u032(inh, c.init_i)
    active = refract <= 0
    current = ie - ii + c.i_offset
    alpha = mul_s1615(current, c.r_membrane) + c.v_rest
    v[:] = np.where(active, alpha - mul_s1615(c.exp_tc, alpha - v), v)
    refract[:] = np.where(active, refract, refract - 1)
    spiked = v >= c.v_thresh
    v[:] = np.where(spiked, c.v_reset, v)
    refract[:] = np.where(spiked, c.refract_steps, refract)
    ie[:] = mul_u032(ie, c.decay_e)
    ii[:] = mul_u032(ii, c.decay_i)
    return spiked


def _lif_loop_source(v, ie, ii, refract, exc, inh, v_rest, r_m, exp_tc, v_th, v_reset, i_off, t_ref, init_e,
                     init_i, decay_e, decay_i, fired):  # pragma: no cover (compiled by Numba)
    for k in range(v.size):
        ie[k] += (exc[k] * (init_e[k] >> 16) + ((exc[k] * (init_e[k] & 0xFFFF)) >> 16)) >> 16
        ii[k] += (inh[k] * (init_i[k] >> 16) + ((inh[k] * (init_i[k] & 0xFFFF)) >> 16)) >> 16
        if refract[k] <= 0:
            alpha = (((ie[k] - ii[k] + i_off[k]) * r_m[k]) >> 15) + v_rest[k]
            v[k] = alpha - ((exp_tc[k] * (alpha - v[k])) >> 15)
        else:
            refract[k] -= 1
        fired[k] = v[k] >= v_th[k]
        if fired[k]:
            v[k] = v_reset[k]
            refract[k] = t_ref[k]
        ie[k] = (ie[k] * (decay_e[k] >> 16) + ((ie[k] * (decay_e[k] & 0xFFFF)) >> 16)) >> 16
        ii[k] = (ii[k] * (decay_i[k] >> 16) + ((ii[k] * (decay_i[k] & 0xFFFF)) >> 16)) >> 16


_NUMBA_LOOP = None


def lif_step_fixed_numba(v, ie, ii, refract, exc, inh, c: LIFConstants) -> np.ndarray:
    """The Numba twin of :func:`lif_step_fixed` (bit-identical)."""
    global _NUMBA_LOOP
    if _NUMBA_LOOP is None:
        import numba

        _NUMBA_LOOP = numba.njit(cache=True)(_lif_loop_source)
    fired = np.zeros(v.size, dtype=np.bool_)
    _NUMBA_LOOP(v, ie, ii, refract, np.ascontiguousarray(exc, np.int64), np.ascontiguousarray(inh, np.int64),
                c.v_rest, c.r_membrane, c.exp_tc, c.v_thresh, c.v_reset, c.i_offset, c.refract_steps, c.init_e,
                c.init_i, c.decay_e, c.decay_i, fired)
    return fired


def lif_run(exc_weights: Any, parameters: dict[str, Any], dt: float = 1.0, arithmetic: str = "float",
            inh_weights: Any = None, shift: int | None = None, backend: str = "numpy") -> tuple[np.ndarray,
                                                                                                  np.ndarray]:
    """Step ``IF_curr_exp`` cells on given summed input weights; return ``(spikes, v)``, each ``(steps, n)``.

    Parameters
    ----------
    exc_weights, inh_weights
        ``(steps, n)`` summed weights (nA magnitudes) arriving at each cell at
        each step (``inh_weights`` default: none).  In fixed point each entry
        is truncated to ring-buffer units as one weight; for many synapses use
        :func:`lif_drive_run`, which truncates each weight before summing.
    parameters
        PyNN ``IF_curr_exp`` parameters (scalars or per cell); ``v`` starts at ``v_rest``.
    dt
        Step (ms).
    arithmetic
        ``"float"``: the engine's double-precision step.  ``"spinnaker"``:
        weights truncated to ring-buffer units at ``shift`` (default: the
        smallest that holds the largest summed input, as sPyNNaker picks it for
        one projection with one delay) and every operation in fixed point.
    backend
        ``"numpy"`` or ``"numba"`` (fixed point only).
    """
    from engramsim.hardware.spinnaker import ring_buffer_shift
    from engramsim.sim.spiking.cells.if_curr_exp import IF_curr_exp, step_numpy

    check_choice(arithmetic, "arithmetic", ("float", "spinnaker"))
    check_choice(backend, "backend", ("numpy", "numba"))
    dt = check_float(dt, "dt", 0.0, strict_minimum=True)
    exc = check_real_array(exc_weights, "exc_weights", ndim=2)
    inh = np.zeros_like(exc) if inh_weights is None else check_real_array(inh_weights, "inh_weights", ndim=2,
                                                                           shape=exc.shape)
    steps, n = exc.shape
    cell = IF_curr_exp(**{k: v for k, v in parameters.items()})
    spikes = np.zeros((steps, n), dtype=bool)
    trace = np.zeros((steps, n))
    if arithmetic == "float":
        state = np.zeros((4, n))
        state[0] = cell.per_neuron("v_rest", n)
        par = cell.kernel_parameters(n, dt)
        fired = np.zeros(n, dtype=bool)
        for t in range(steps):
            step_numpy(state, par, exc[t].copy(), inh[t].copy(), np.zeros(n), dt, fired)
            spikes[t], trace[t] = fired, state[0]
        return spikes, trace
    if shift is None:
        shift = ring_buffer_shift(float(max(exc.max(initial=0.0), inh.max(initial=0.0))))
    c = lif_constants(cell.parameters, n, dt)
    exc_raw = ring_buffer_units(exc, shift) << shift
    inh_raw = ring_buffer_units(inh, shift) << shift
    v, ie, ii, refract = c.v_rest.copy(), np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.int64)
    step = lif_step_fixed if backend == "numpy" else lif_step_fixed_numba
    for t in range(steps):
        spikes[t] = step(v, ie, ii, refract, exc_raw[t], inh_raw[t], c)
        trace[t] = from_s1615(v)
    return spikes, trace


def lif_drive_run(pre_spikes: Any, weights: Any, parameters: dict[str, Any], dt: float = 1.0,
                  arithmetic: str = "float", shift: int | None = None, backend: str = "numpy"
                  ) -> tuple[np.ndarray, np.ndarray]:
    """``IF_curr_exp`` cells driven by spike trains through excitatory synapses; ``(spikes, v)``, ``(steps, n)``.

    Parameters
    ----------
    pre_spikes
        ``(steps, n_pre)`` spikes (bool) arriving at each step.
    weights
        ``(n_pre, n)`` weights (nA, >= 0).
    arithmetic
        ``"float"``, or ``"spinnaker"``: each weight truncated to ring-buffer
        units first (at ``shift``, default sPyNNaker's choice for one
        projection with one delay: the power of two above the largest in-degree
        times the largest weight), the units summed as integers.
    """
    from engramsim.hardware.spinnaker import ring_buffer_shift

    spikes = check_real_array(np.asarray(pre_spikes, dtype=np.int64), "pre_spikes", ndim=2).astype(np.int64)
    w = check_real_array(weights, "weights", ndim=2, shape=(spikes.shape[1], None))
    if np.any(w < 0):
        raise ValueError("weights must be >= 0 (excitatory)")
    if arithmetic != "spinnaker":
        return lif_run(spikes @ w, parameters, dt, arithmetic, backend=backend)
    if shift is None:
        shift = ring_buffer_shift(float(np.max(np.count_nonzero(w, axis=0)) * w.max(initial=0.0)))
    units = ring_buffer_units(w, shift)
    return lif_run((spikes @ units) * 2.0 ** (shift - 15), parameters, dt, arithmetic, shift=shift,
                   backend=backend)


__all__ = ["LIFConstants", "add_spike_to_trace", "decay_trace", "exp_lut", "fixed_mul16", "from_s1615",
           "lif_constants", "lif_drive_run", "lif_run", "lif_step_fixed", "lif_step_fixed_numba", "lut_value",
           "mul_s1615", "mul_u032", "ring_buffer_units", "to_int16", "to_s1615", "to_u032"]
