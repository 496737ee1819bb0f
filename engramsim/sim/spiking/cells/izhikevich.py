"""``Izhikevich``: the 2003 model with voltage-jump synapses, in the published scheme or forward Euler.

``dv/dt = 0.04 v^2 + 5 v + 140 - u + I``, ``du/dt = a (b v - u)``; ``v >= 30``
spikes, then ``v <- c`` and ``u <- u + d``.  ``I`` is ``1000 * (i_offset +
injected)`` with currents in nA (PyNN divides by a 1 pF capacitance).

Schemes:

``"izhikevich2003"``
    the published program: two half-steps ``v += dt/2 * (...)`` with ``u``
    and ``I`` held, then ``u += dt * a (b v - u)`` with the new ``v``;
    synaptic input enters both half-steps as a current of its weight, so a
    weight ``w`` mV with ``dt = 1`` is a 1 ms pulse.
``"euler"``
    forward Euler on the old ``v`` and ``u``; synaptic weights are added to
    ``v`` as jumps of ``w`` mV.

Synapses are voltage jumps on one channel: inhibitory weights arrive negated
(``receptors = ("excitatory",)``).  Both steps compute both schemes and
select, without branches, so that the compiled loop vectorises; the scheme
is kernel parameter row 5 (0 published, 1 Euler).
"""

from __future__ import annotations

import numpy as np

from engramsim.sim.spiking.cells.base import CellType, Parameter, StateVariable, StepKernel
from engramsim.sim.spiking.xp import namespace

__all__ = ["IZHIKEVICH_CURRENT_SCALE", "Izhikevich", "step_loops", "step_numpy"]

#: model current per nA for the Izhikevich equation (PyNN divides by a 1 pF capacitance)
IZHIKEVICH_CURRENT_SCALE = 1000.0
SCHEME_2003, SCHEME_EULER = 0, 1
ROWS = ("a", "b", "c", "d", "i_offset_model", "scheme")
THRESHOLD = 30.0


class Izhikevich(CellType):
    """Izhikevich (2003) cell with voltage-jump synapses (PyNN's ``Izhikevich``).

    Parameters
    ----------
    scheme
        ``"izhikevich2003"`` (default) or ``"euler"`` (see the module).
    **parameters
        ``a`` (1/ms), ``b`` (1/ms), ``c`` (mV), ``d`` (mV/ms), ``i_offset`` (nA).
        Recordable: ``v`` (mV), ``u`` (mV/ms).
    """

    parameters_spec = {
        "a": Parameter(0.02, "1/ms", "recovery time scale"),
        "b": Parameter(0.2, "1/ms", "recovery sensitivity to v"),
        "c": Parameter(-65.0, "mV", "reset potential"),
        "d": Parameter(2.0, "mV/ms", "recovery jump at a spike"),
        "i_offset": Parameter(0.0, "nA", "constant injected current"),
    }
    state_spec = {
        "v": StateVariable(-70.0, "mV", "membrane potential"),
        "u": StateVariable(-14.0, "mV/ms", "recovery variable"),
    }
    schemes = ("izhikevich2003", "euler")
    SCHEMES = schemes
    THRESHOLD = THRESHOLD
    receptors = ("excitatory",)
    current_scale = IZHIKEVICH_CURRENT_SCALE
    kernel = StepKernel(__name__, "step_numpy", "step_loops", ROWS)

    def kernel_parameters(self, size: int, dt: float) -> np.ndarray:
        q = lambda name: self.per_neuron(name, size)  # noqa: E731
        code = SCHEME_2003 if self.scheme == "izhikevich2003" else SCHEME_EULER
        return np.ascontiguousarray(np.stack([q("a"), q("b"), q("c"), q("d"),
                                              IZHIKEVICH_CURRENT_SCALE * q("i_offset"), np.full(size, float(code))]))


def step_numpy(state, par, syn_e, syn_i, inj, dt, fired) -> None:
    """One step of every cell, vectorised (NumPy or CuPy arrays); see the module for the arithmetic."""
    xp = namespace(state)
    v, u = state[0], state[1]
    a, b, c, d, ioff = par[0], par[1], par[2], par[3], par[4]
    pub = par[5] == SCHEME_2003
    i_ext = ioff + inj
    half = 0.5 * dt
    dta = dt * a
    i_all = i_ext + syn_e
    with np.errstate(over="ignore", invalid="ignore"):
        # published program: v += 0.5 (0.04 v^2 + 5 v + 140 - u + I) twice, then u with the new v
        v1 = v + half * (0.04 * (v * v) + 5.0 * v + 140.0 - u + i_all)
        v1 = v1 + half * (0.04 * (v1 * v1) + 5.0 * v1 + 140.0 - u + i_all)
        u1 = u + dta * (b * v1 - u)
        # Euler: old v and u on the right, synaptic weights as voltage jumps
        v2 = v + dt * (0.04 * (v * v) + 5.0 * v + 140.0 - u + i_ext) + syn_e
        u2 = u + dta * (b * v - u)
    vn = xp.where(pub, v1, v2)
    un = xp.where(pub, u1, u2)
    spiked = vn >= THRESHOLD
    v[...] = xp.where(spiked, c, vn)
    u[...] = xp.where(spiked, un + d, un)
    fired[...] = spiked


def step_loops(state, par, syn_e, syn_i, inj, dt, fired) -> None:
    """The same step cell by cell (both schemes, then a select): the source the Numba backend compiles."""
    half = 0.5 * dt
    for k in range(state.shape[1]):
        i_ext = par[4, k] + inj[k]
        syn = syn_e[k]
        dta = dt * par[0, k]
        b = par[1, k]
        vk, uk = state[0, k], state[1, k]
        i_all = i_ext + syn
        v1 = vk + half * (0.04 * (vk * vk) + 5.0 * vk + 140.0 - uk + i_all)
        v1 = v1 + half * (0.04 * (v1 * v1) + 5.0 * v1 + 140.0 - uk + i_all)
        u1 = uk + dta * (b * v1 - uk)
        v2 = vk + dt * (0.04 * (vk * vk) + 5.0 * vk + 140.0 - uk + i_ext) + syn
        u2 = uk + dta * (b * vk - uk)
        pub = par[5, k] == SCHEME_2003
        vk = v1 if pub else v2
        uk = u1 if pub else u2
        f = vk >= THRESHOLD
        state[0, k] = par[2, k] if f else vk
        state[1, k] = uk + par[3, k] if f else uk
        fired[k] = f
