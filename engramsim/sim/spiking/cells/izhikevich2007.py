"""``Izhikevich2007``: the 2007 simple model with double-exponential current synapses, in the FORCE reference's order.

``C dv/dt = k (v - v_r)(v - v_t) - u + I``, ``du/dt = a (b (v - v_r) - u)``;
``v >= v_peak`` spikes, then ``v <- v_reset`` and ``u <- u + d``
(Izhikevich, *Dynamical Systems in Neuroscience*, 2007).  Defaults are the
cell of Nicola & Clopath (2017, ``IZFORCESINE.m``) in PyNN's units:
``cm = 0.25 nF`` (250 pF), ``k = 0.0025 nA/mV^2``, ``v_r = -60 mV``,
``v_t = v_r + 40 - b/k = -19.2 mV``, ``b = -0.002 uS`` (-2 nS),
``a = 0.01 /ms``, ``d = 0.2 nA``, ``v_peak = 30 mV``, ``v_reset = -65 mV``,
``i_offset = 1 nA`` (the reference's 1000 pA bias).

Scheme ``"force2017"`` (the only one), per step ``dt``, the reference's order:

1. ``I = i_syn + i_offset + injected``;
2. forward Euler: ``v += dt (k (v - v_r)(v - v_t) - u + I) / cm`` and
   ``u += dt a (b (v_old - v_r) - u)`` (``u`` uses the previous ``v``):
   :func:`integrate`;
3. the threshold is tested on the new ``v``;
4. the double-exponential synapse: ``i_syn <- i_syn exp(-dt/tau_rise) + h dt``,
   ``h <- h exp(-dt/tau_decay) + (W_exc - W_inh) / (tau_rise tau_decay)``
   for the weights ``W`` (nA) arriving this step;
5. the reset at the end of the step: :func:`reset`.

:func:`integrate` and :func:`reset` are the one definition of the neuron
update: the NumPy step calls them on arrays, the loop that the Numba backend
compiles calls their compiled versions on scalars, and the FORCE/reservoir
loop of :mod:`engramsim.networks.reservoir_core` calls them too.  In the
reference a spike reaches ``h`` in the step in which it is emitted; through
the engine's ring buffer (delay >= 1 step) it arrives one step later.
"""

from __future__ import annotations

import numpy as np

from engramsim.errors import ValidationError
from engramsim.sim.spiking.cells.base import CellType, Parameter, StateVariable, StepKernel

__all__ = ["Izhikevich2007", "integrate", "reset", "step_loops", "step_numpy", "compile_step"]

#: kernel parameter rows
ROWS = ("cm", "k", "v_r", "v_t", "a", "b", "d", "v_reset", "v_peak", "i_offset", "decay_rise", "decay_decay",
        "inv_tau_product")
V, U, ISYN, H = range(4)


def integrate(v, u, current, c_m, k, v_r, v_t, a, b, dt):
    """One forward-Euler step of the 2007 cell; ``u`` uses the ``v`` before the step. Returns ``(v, u)``.

    Works on arrays (NumPy) and, compiled, on scalars (Numba).
    """
    v_new = v + dt * (k * (v - v_r) * (v - v_t) - u + current) / c_m
    u_new = u + dt * (a * (b * (v - v_r) - u))
    return v_new, u_new


def reset(v, u, v_peak, v_reset, d):
    """End-of-step reset of cells at or above ``v_peak``: ``u += d``, ``v <- v_reset``. Returns ``(v, u)``.

    The reference's arithmetic (``v + (v_reset - v) * fired``, ``u + d * fired``).
    """
    fired = v >= v_peak
    return v + (v_reset - v) * fired, u + d * fired


class _Kernel(StepKernel):
    """The step kernel, compiled for Numba by :func:`compile_step` (which compiles the helpers first)."""

    @property
    def spec(self):
        base = super().spec
        return type(base)(base.name, base.sources, base.xp_generic, {"numba": f"{__name__}:compile_step"})


class Izhikevich2007(CellType):
    """Izhikevich (2007) cell with double-exponential current synapses (see the module).

    Parameters
    ----------
    scheme
        ``"force2017"`` (the only one): forward Euler in the order of Nicola & Clopath's code.
    **parameters
        ``cm`` (nF), ``k`` (nA/mV^2), ``v_r``, ``v_t``, ``v_peak``, ``v_reset`` (mV), ``a`` (1/ms),
        ``b`` (uS), ``d``, ``i_offset`` (nA), ``tau_syn_rise``, ``tau_syn_decay`` (ms).
        Recordable: ``v`` (mV), ``u`` (nA), ``isyn`` (nA).
    """

    parameters_spec = {
        "cm": Parameter(0.25, "nF", "membrane capacitance C", "positive"),
        "k": Parameter(0.0025, "nA/mV^2", "gain of the quadratic term", "positive"),
        "v_r": Parameter(-60.0, "mV", "resting potential"),
        "v_t": Parameter(-19.2, "mV", "threshold potential (v_r + 40 - b/k in the reference)"),
        "v_peak": Parameter(30.0, "mV", "spike cut-off"),
        "v_reset": Parameter(-65.0, "mV", "reset potential (c)"),
        "a": Parameter(0.01, "1/ms", "recovery rate"),
        "b": Parameter(-0.002, "uS", "recovery sensitivity to v"),
        "d": Parameter(0.2, "nA", "recovery jump at a spike"),
        "i_offset": Parameter(1.0, "nA", "constant injected current (bias)"),
        "tau_syn_rise": Parameter(2.0, "ms", "synaptic rise time", "positive"),
        "tau_syn_decay": Parameter(20.0, "ms", "synaptic decay time", "positive"),
    }
    state_spec = {
        "v": StateVariable("v_r", "mV", "membrane potential"),
        "u": StateVariable(0.0, "nA", "recovery current"),
        "isyn": StateVariable(0.0, "nA", "synaptic current"),
        "hsyn": StateVariable(0.0, "nA/ms", "rise stage of the synaptic filter", recordable=False),
    }
    schemes = ("force2017",)
    current_scale = 1.0
    kernel = _Kernel(__name__, "step_numpy", "step_loops", ROWS)

    def kernel_parameters(self, size: int, dt: float) -> np.ndarray:
        q = lambda name: self.per_neuron(name, size)  # noqa: E731
        tr, td = q("tau_syn_rise"), q("tau_syn_decay")
        if np.any(tr == td):
            raise ValidationError("Izhikevich2007.tau_syn_rise and tau_syn_decay must differ")
        return np.ascontiguousarray(np.stack([q("cm"), q("k"), q("v_r"), q("v_t"), q("a"), q("b"), q("d"),
                                              q("v_reset"), q("v_peak"), q("i_offset"), np.exp(-dt / tr),
                                              np.exp(-dt / td), 1.0 / (tr * td)]))


def step_numpy(state, par, syn_e, syn_i, inj, dt, fired) -> None:
    """One step of every cell, vectorised (NumPy or CuPy arrays); see the module for the order."""
    v, u, isyn, h = state[V], state[U], state[ISYN], state[H]
    current = (isyn + par[9]) + inj
    with np.errstate(over="ignore", invalid="ignore"):
        v_new, u_new = integrate(v, u, current, par[0], par[1], par[2], par[3], par[4], par[5], dt)
    isyn[...] = isyn * par[10] + h * dt
    h[...] = h * par[11] + (syn_e - syn_i) * par[12]
    fired[...] = v_new >= par[8]
    v_new, u_new = reset(v_new, u_new, par[8], par[7], par[6])
    v[...] = v_new
    u[...] = u_new


def step_loops(state, par, syn_e, syn_i, inj, dt, fired) -> None:
    """The same step cell by cell: the source the Numba backend compiles (calls the compiled helpers)."""
    for j in range(state.shape[1]):
        current = (state[ISYN, j] + par[9, j]) + inj[j]
        vj, uj = _integrate(state[V, j], state[U, j], current, par[0, j], par[1, j], par[2, j], par[3, j],
                            par[4, j], par[5, j], dt)
        h = state[H, j]
        state[ISYN, j] = state[ISYN, j] * par[10, j] + h * dt
        state[H, j] = h * par[11, j] + (syn_e[j] - syn_i[j]) * par[12, j]
        fired[j] = vj >= par[8, j]
        vj, uj = _reset(vj, uj, par[8, j], par[7, j], par[6, j])
        state[V, j] = vj
        state[U, j] = uj


#: the helpers as :func:`step_loops` sees them: plain Python until :func:`compile_step` compiles them
_integrate, _reset = integrate, reset


def compile_step(func):
    """Numba compiler of :func:`step_loops`: compile the helpers (inlined), then the loop with the step signature."""
    global _integrate, _reset
    from engramsim.sim.spiking.kernels_numba import compile_step as compile_loop

    _integrate, _reset = numba_helpers()
    return compile_loop(func)


def numba_helpers():
    """:func:`integrate` and :func:`reset` compiled by Numba (inlined into their callers)."""
    from numba import njit

    return njit(inline="always")(integrate), njit(inline="always")(reset)
