"""``IF_curr_exp``: leaky integrate-and-fire with exponential current synapses, stepped as sPyNNaker steps it.

Per time step ``dt`` (``neuron_model_lif_impl.h``, ``exp_synapse_utils.h``):

* arriving weights ``W`` (nA) enter the synaptic current as
  ``I_syn += W * (tau_syn/dt) * (1 - exp(-dt/tau_syn))``;
* outside the refractory period the membrane takes the closed-form step
  ``V <- alpha - exp(-dt/tau_m) * (alpha - V)`` with
  ``alpha = v_rest + I * tau_m / cm`` and ``I = I_exc - I_inh + i_offset + injected``;
* ``V >= v_thresh`` spikes: ``V <- v_reset`` and the membrane is frozen for
  ``ceil(tau_refrac/dt)`` steps;
* the synaptic currents then decay by ``exp(-dt/tau_syn)``.

This module is the whole cell type: declarations, the NumPy reference step
(:func:`step_numpy`, written against the array namespace of its arguments so
it also runs on CuPy arrays) and the loop that the Numba backend compiles
(:func:`step_loops`).  The two perform the same floating-point operations in
the same order.
"""

from __future__ import annotations

import math

import numpy as np

from engramsim.sim.spiking.cells.base import CellType, Parameter, StateVariable, StepKernel
from engramsim.sim.spiking.xp import namespace

__all__ = ["IF_curr_exp", "refractory_steps", "step_loops", "step_numpy"]

#: kernel parameter rows
ROWS = ("v_rest", "R", "decay_m", "init_E", "init_I", "decay_E", "decay_I", "v_thresh", "v_reset", "i_offset",
        "refractory_steps")
#: state rows (the refractory counter is held as a float64 whole number)
V, IE, II, REFR = range(4)


def refractory_steps(tau_refrac: np.ndarray, dt: float) -> np.ndarray:
    """``ceil(tau_refrac / dt)`` as sPyNNaker computes it (tolerant to rounding of the ratio)."""
    return np.array([math.ceil(x / dt - 1e-9) for x in np.atleast_1d(tau_refrac)], dtype=np.int64)


class IF_curr_exp(CellType):  # noqa: N801 (PyNN's name)
    """Leaky integrate-and-fire cell with exponential current synapses (PyNN's standard cell).

    Parameters
    ----------
    scheme
        ``"exact"`` (the only one): sPyNNaker's closed-form step, see the module.
    **parameters
        PyNN's parameters: ``cm`` (nF), ``tau_m``, ``tau_refrac``, ``tau_syn_E``,
        ``tau_syn_I`` (ms), ``i_offset`` (nA), ``v_reset``, ``v_rest``,
        ``v_thresh`` (mV).  Recordable: ``v`` (mV), ``isyn_exc``, ``isyn_inh`` (nA).
    """

    parameters_spec = {
        "cm": Parameter(1.0, "nF", "membrane capacitance", "positive"),
        "tau_m": Parameter(20.0, "ms", "membrane time constant", "positive"),
        "tau_refrac": Parameter(0.1, "ms", "refractory period", "non_negative"),
        "tau_syn_E": Parameter(5.0, "ms", "excitatory synaptic time constant", "positive"),
        "tau_syn_I": Parameter(5.0, "ms", "inhibitory synaptic time constant", "positive"),
        "i_offset": Parameter(0.0, "nA", "constant injected current"),
        "v_reset": Parameter(-65.0, "mV", "reset potential"),
        "v_rest": Parameter(-65.0, "mV", "resting potential"),
        "v_thresh": Parameter(-50.0, "mV", "spike threshold"),
    }
    state_spec = {
        "v": StateVariable("v_rest", "mV", "membrane potential"),
        "isyn_exc": StateVariable(0.0, "nA", "excitatory synaptic current"),
        "isyn_inh": StateVariable(0.0, "nA", "inhibitory synaptic current"),
        "refractory": StateVariable(0.0, "1", "refractory steps left", recordable=False),
    }
    schemes = ("exact",)
    kernel = StepKernel(__name__, "step_numpy", "step_loops", ROWS)

    def kernel_parameters(self, size: int, dt: float) -> np.ndarray:
        q = lambda name: self.per_neuron(name, size)  # noqa: E731
        tau_e, tau_i = q("tau_syn_E"), q("tau_syn_I")
        return np.ascontiguousarray(np.stack([
            q("v_rest"), q("tau_m") / q("cm"), np.exp(-dt / q("tau_m")),
            (tau_e / dt) * (1.0 - np.exp(-dt / tau_e)), (tau_i / dt) * (1.0 - np.exp(-dt / tau_i)),
            np.exp(-dt / tau_e), np.exp(-dt / tau_i), q("v_thresh"), q("v_reset"), q("i_offset"),
            refractory_steps(q("tau_refrac"), dt).astype(np.float64),
        ]))


def step_numpy(state, par, syn_e, syn_i, inj, dt, fired) -> None:
    """One step of every cell, vectorised (NumPy or CuPy arrays); see the module for the arithmetic."""
    xp = namespace(state)
    v, ie, ii, refr = state[V], state[IE], state[II], state[REFR]
    ie += par[3] * syn_e
    ii += par[4] * syn_i
    current = ((ie - ii) + par[9]) + inj
    alpha = current * par[1] + par[0]
    active = refr <= 0
    v[...] = xp.where(active, alpha - par[2] * (alpha - v), v)
    refr[...] = xp.where(active, refr, refr - 1.0)
    spiked = v >= par[7]
    v[...] = xp.where(spiked, par[8], v)
    refr[...] = xp.where(spiked, par[10], refr)
    ie *= par[5]
    ii *= par[6]
    fired[...] = spiked


def step_loops(state, par, syn_e, syn_i, inj, dt, fired) -> None:
    """The same step cell by cell: the source the Numba backend compiles (twin of :func:`step_numpy`)."""
    for k in range(state.shape[1]):
        state[IE, k] += par[3, k] * syn_e[k]
        state[II, k] += par[4, k] * syn_i[k]
        if state[REFR, k] <= 0:
            current = ((state[IE, k] - state[II, k]) + par[9, k]) + inj[k]
            alpha = current * par[1, k] + par[0, k]
            state[V, k] = alpha - par[2, k] * (alpha - state[V, k])
        else:
            state[REFR, k] -= 1.0
        f = state[V, k] >= par[7, k]
        if f:
            state[V, k] = par[8, k]
            state[REFR, k] = par[10, k]
        fired[k] = f
        state[IE, k] *= par[5, k]
        state[II, k] *= par[6, k]
