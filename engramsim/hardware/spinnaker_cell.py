"""``IF_curr_exp`` stepped in sPyNNaker's fixed-point arithmetic, as a cell type the engine runs.

The engine learns everything from a cell type (:mod:`engramsim.sim.spiking.cells.base`), so this class, kept
in the hardware layer, runs in the engine's own loop on the NumPy and Numba backends.  It is
``IF_curr_exp`` with one scheme, ``"spinnaker"``:

* kernel parameters are the raw fixed-point constants of
  :func:`engramsim.hardware.fixed_point.lif_constants` (s16.15 and 0.32 integers, held exactly in float64);
* the state rows hold ``v`` (mV) and the currents (nA) as multiples of ``2**-15`` (exact in float64), the
  refractory counter as a whole number;
* each step converts them to integers, performs :func:`~engramsim.hardware.fixed_point.lif_step_fixed`'s
  operations (injected current added to the input, as ``I_offset``), and stores the results back.

The weights arriving on the two channels are read as raw s16.15 (``rint(w * 2**15)``): exact when they were
truncated to ring-buffer units first (:func:`engramsim.hardware.emulate.to_fixed_point` does so), rounded to
``2**-15`` nA otherwise (plastic weights changed by the engine's float STDP).
"""

from __future__ import annotations

import numpy as np

from engramsim.hardware.fixed_point import S1615_ONE, lif_constants, mul_s1615, mul_u032
from engramsim.sim.spiking.cells.base import StepKernel
from engramsim.sim.spiking.cells.if_curr_exp import IF_curr_exp

__all__ = ["IF_curr_exp_spinnaker", "step_loops", "step_numpy"]

ROWS = ("v_rest", "R", "exp_tc", "v_thresh", "v_reset", "i_offset", "refractory_steps", "init_E", "init_I",
        "decay_E", "decay_I")
V, IE, II, REFR = range(4)


class IF_curr_exp_spinnaker(IF_curr_exp):  # noqa: N801 (PyNN's name with the arithmetic)
    """``IF_curr_exp`` in sPyNNaker's fixed point (s16.15 state, 0.32 decays, truncating products).

    Parameters as :class:`~engramsim.sim.spiking.IF_curr_exp`; each is rounded to s16.15 as sPyNNaker sends it.
    """

    schemes = ("spinnaker",)
    kernel = StepKernel(__name__, "step_numpy", "step_loops", ROWS)

    def kernel_parameters(self, size: int, dt: float) -> np.ndarray:
        c = lif_constants(self.parameters, size, dt)
        rows = [c.v_rest, c.r_membrane, c.exp_tc, c.v_thresh, c.v_reset, c.i_offset, c.refract_steps, c.init_e,
                c.init_i, c.decay_e, c.decay_i]
        return np.ascontiguousarray(np.stack([np.asarray(r, dtype=np.float64) for r in rows]))


def step_numpy(state, par, syn_e, syn_i, inj, dt, fired) -> None:
    """One fixed-point step of every cell (NumPy); the arithmetic of ``lif_step_fixed``."""
    raw = lambda x: np.rint(np.asarray(x) * S1615_ONE).astype(np.int64)  # noqa: E731
    p = par.astype(np.int64)
    v, ie, ii, refr = raw(state[V]), raw(state[IE]), raw(state[II]), state[REFR].astype(np.int64)
    ie += mul_u032(raw(syn_e), p[7])
    ii += mul_u032(raw(syn_i), p[8])
    active = refr <= 0
    alpha = mul_s1615(ie - ii + p[5] + raw(inj), p[1]) + p[0]
    v = np.where(active, alpha - mul_s1615(p[2], alpha - v), v)
    refr = np.where(active, refr, refr - 1)
    spiked = v >= p[3]
    v = np.where(spiked, p[4], v)
    refr = np.where(spiked, p[6], refr)
    state[V] = v / S1615_ONE
    state[IE] = mul_u032(ie, p[9]) / S1615_ONE
    state[II] = mul_u032(ii, p[10]) / S1615_ONE
    state[REFR] = refr
    fired[...] = spiked


def step_loops(state, par, syn_e, syn_i, inj, dt, fired) -> None:
    """The same step cell by cell, 64-bit integers: the source the Numba backend compiles (twin of ``step_numpy``).

    ``x * d >> 32`` for a 0.32 fraction ``d`` is formed as ``(x * (d >> 16) + (x * (d & 0xFFFF) >> 16)) >> 16``
    (exact, no 64-bit overflow), as :func:`~engramsim.hardware.fixed_point.mul_u032` does.
    """
    one = 32768.0
    for k in range(state.shape[1]):
        v = np.int64(np.rint(state[V, k] * one))
        ie = np.int64(np.rint(state[IE, k] * one))
        ii = np.int64(np.rint(state[II, k] * one))
        refr = np.int64(state[REFR, k])
        exc = np.int64(np.rint(syn_e[k] * one))
        inh = np.int64(np.rint(syn_i[k] * one))
        init_e, init_i = np.int64(par[7, k]), np.int64(par[8, k])
        decay_e, decay_i = np.int64(par[9, k]), np.int64(par[10, k])
        ie += (exc * (init_e >> 16) + ((exc * (init_e & 0xFFFF)) >> 16)) >> 16
        ii += (inh * (init_i >> 16) + ((inh * (init_i & 0xFFFF)) >> 16)) >> 16
        if refr <= 0:
            current = ie - ii + np.int64(par[5, k]) + np.int64(np.rint(inj[k] * one))
            alpha = ((current * np.int64(par[1, k])) >> 15) + np.int64(par[0, k])
            v = alpha - ((np.int64(par[2, k]) * (alpha - v)) >> 15)
        else:
            refr -= 1
        f = v >= np.int64(par[3, k])
        if f:
            v = np.int64(par[4, k])
            refr = np.int64(par[6, k])
        fired[k] = f
        ie = (ie * (decay_e >> 16) + ((ie * (decay_e & 0xFFFF)) >> 16)) >> 16
        ii = (ii * (decay_i >> 16) + ((ii * (decay_i & 0xFFFF)) >> 16)) >> 16
        state[V, k] = v / one
        state[IE, k] = ie / one
        state[II, k] = ii / one
        state[REFR, k] = refr
