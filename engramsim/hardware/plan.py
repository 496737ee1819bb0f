"""A PyNN description of a :class:`~engramsim.sim.spiking.Network`, shared by the live export and the script writer.

:func:`describe` reads a native network (built first, so that random
connectors have drawn their synapses) and returns an :class:`ExportPlan`:
plain data (names, numbers, arrays) saying which PyNN objects to create on a
given target and with which arguments.  :func:`engramsim.hardware.pynn.to_pynn`
instantiates a plan on a live PyNN backend module;
:func:`engramsim.hardware.pynn_script.write_pynn_script` renders it as a
standalone script.  Everything a target cannot express raises
:class:`ExportError` naming the object and the reason; everything that is
expressed but differs in behaviour is listed in :attr:`ExportPlan.notes`.

Target conventions handled here (checked against pyNN 0.13 / NEST 3.10 and
sPyNNaker 7.4.1):

* **Inhibitory weights.** engramsim holds inhibitory weights as positive
  magnitudes.  PyNN's NEST and Brian2 backends require negative weights on
  current-based inhibitory synapses; sPyNNaker takes positive ones.
* **STDP amplitude.** The engine's additive pair rule changes a weight by an
  absolute amplitude ``amp_plus`` (``pair_stdp_parameters()``).  PyNN's
  standard (and NEST's ``stdp_synapse``) multiplies ``A_plus`` by ``w_max``,
  sPyNNaker 7 does not, so ``A_plus = amp_plus / w_max`` on NEST and Brian2
  and ``A_plus = amp_plus`` on sPyNNaker.  NEST's additive rule has no lower
  bound other than 0, so ``w_min != 0`` is an error there.
* **Connectors.** ``OneToOne`` and ``AllToAll`` with one weight and one
  delay stay PyNN connectors (``OneToOneConnector`` only for populations of
  more than one cell: pyNN 0.13 fails on size 1 with NumPy 2); ``Dense`` and
  all-to-all projections with varying weights become ``AllToAllConnector``
  with a (pre, post) weight matrix; everything else (random connectors, whose
  PyNN twins would draw other synapses, and ``FromList``) becomes an
  explicit ``FromListConnector`` of the synapses the native network drew.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engramsim.errors import EngramsimError
from engramsim.sim.spiking import (
    AllToAll,
    ArrayCurrentSource,
    DCSource,
    Network,
    NoisyCurrentSource,
    OneToOne,
    SpikeMonitor,
    StateMonitor,
)

#: targets this module knows, by the last part of the PyNN module's name
TARGETS = ("nest", "spiNNaker", "brian2", "mock")
#: ms moved off the grid in spike-source times on NEST (down) and sPyNNaker (up): see _population
NEST_TIME_NUDGE = 1e-6
EXPORTED_CELLS = ("IF_curr_exp", "Izhikevich", "SpikeSourceArray", "SpikeSourcePoisson")


class ExportError(EngramsimError, ValueError):
    """The target cannot express part of the network; the message names the object and the reason."""


@dataclass
class PopulationPlan:
    """One PyNN Population: cell type name, parameters (scalars or per-cell arrays), what to record."""

    label: str
    size: int
    celltype: str
    parameters: dict[str, Any]
    initial_values: dict[str, Any]
    is_source: bool
    record: list[str]
    #: native NEST parameters set after creation (e.g. the Izhikevich scheme)
    nest_options: dict[str, Any] = field(default_factory=dict)
    #: ("dc", amplitude) | ("noise", mean, stdev) | ("steps", times, amplitudes (steps, size))
    currents: list[tuple] = field(default_factory=list)


@dataclass
class ProjectionPlan:
    """One PyNN Projection.  ``connector`` is a PyNN connector name; weights already signed for the target."""

    label: str
    pre: str
    post: str
    connector: str
    connector_args: dict[str, Any]
    receptor_type: str
    #: scalar, or a (pre, post) matrix for AllToAllConnector, or None when the list carries it
    weight: Any
    delay: Any
    #: (n, 4) rows (pre, post, weight, delay) for FromListConnector, else None
    conn_list: np.ndarray | None
    #: None for a static synapse, else tau_plus, tau_minus, A_plus, A_minus, w_min, w_max for the target
    stdp: dict[str, float] | None
    #: the native synapses, sorted by (pre, post): pre, post, weight (unsigned), delay (ms)
    native: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    #: factor from the weight Projection.get returns on the target to the native weight
    readback_scale: float = 1.0


@dataclass
class ExportPlan:
    """Everything needed to build a network on one PyNN target."""

    target: str
    dt: float
    populations: list[PopulationPlan]
    projections: list[ProjectionPlan]
    notes: list[str]
    #: ms to add to the target's spike times of cells (not sources) to get the native stamps
    spike_time_offset: float
    #: keyword arguments of sim.setup()
    setup: dict[str, Any]


def target_name(sim: Any) -> str:
    """``"nest"``, ``"spiNNaker"``, ``"brian2"`` or ``"mock"`` from a PyNN backend module (or its name)."""
    name = sim if isinstance(sim, str) else getattr(sim, "__name__", "")
    short = name.split(".")[-1]
    for target in TARGETS:
        if short.lower() == target.lower():
            return target
    raise ExportError(f"sim must be one of the PyNN backends pyNN.nest, pyNN.spiNNaker, pyNN.brian2, pyNN.mock "
                      f"(or their short names), got {name!r}")


def describe(network: Network, target: str, strict: bool = True, convert_stdp: bool = True) -> ExportPlan:
    """The PyNN description of ``network`` on ``target``.

    Parameters
    ----------
    network
        A native network; it is built (connections drawn) if it has not run.
    target
        ``"nest"``, ``"spiNNaker"``, ``"brian2"`` or ``"mock"``.
    strict
        ``True``: a behaviour the target cannot reproduce (an Izhikevich
        integration scheme it does not offer) is an :class:`ExportError`;
        ``False``: it is listed in the notes instead.  Structural gaps are
        errors either way.
    convert_stdp
        ``True``: STDP amplitudes converted so that the target changes a
        weight by the engine's amplitude (see the module docstring).
        ``False``: ``A_plus``/``A_minus`` are the engine's absolute
        amplitudes on every target, as a script written for sPyNNaker 7
        states them (to show what the conversion changes).
    """
    if not isinstance(network, Network):
        raise ExportError(f"network must be an engramsim.sim.spiking.Network, got {type(network).__name__}")
    target = target_name(target)
    network.build()
    dt = network.dt
    notes: list[str] = []
    setup: dict[str, Any] = {"timestep": dt, "min_delay": dt}
    if target == "nest":
        setup["spike_precision"] = "on_grid"
    if target == "spiNNaker":
        setup = {"timestep": dt}
    if target == "spiNNaker" and dt not in (0.1, 1.0):
        notes.append(f"time step {dt} ms: sPyNNaker's default binaries are built for 0.1 and 1.0 ms")
    pops = [_population(p, target, strict, notes) for p in network.populations]
    projs = [_projection(p, target, dt, notes, bool(convert_stdp)) for p in network.projections]
    if target == "brian2" and any(p.celltype == "IF_curr_exp" for p in pops):
        notes.append("IF_curr_exp on Brian2: an arriving weight enters the synaptic current after the step's "
                     "update, so each hop between cells is one time step later; tau_refrac is exported one step "
                     "longer (ceil(tau_refrac/dt) + 1 steps), because Brian2 counts the spike's own step in the "
                     "refractory period and sPyNNaker does not (without it a cell integrates again one step "
                     "early and fires early)")
    if target == "nest" and any(p.celltype == "IF_curr_exp" for p in pops):
        notes.append("IF_curr_exp on NEST (iaf_psc_exp) integrates exactly, adds an arriving weight to the synaptic "
                     "current as a jump and lets the membrane see it one step later; engramsim and sPyNNaker add "
                     "w*(tau_syn/dt)*(1-exp(-dt/tau_syn)) and the membrane sees it in the arrival step, so each "
                     "hop between cells is one time step later on NEST")
    offset = -dt if target == "nest" else 0.0
    return ExportPlan(target, dt, pops, projs, notes, offset, setup)


def _population(pop: Any, target: str, strict: bool, notes: list[str]) -> PopulationPlan:
    ct = pop.celltype
    name = type(ct).__name__
    if name not in EXPORTED_CELLS:
        raise ExportError(f"population {pop.label!r}: cell type {name} has no PyNN standard equivalent "
                          f"(exported: {', '.join(EXPORTED_CELLS)})")
    params: dict[str, Any] = {}
    for key in ct.default_parameters:
        value = np.asarray(ct.parameters[key], dtype=float)
        params[key] = float(value) if value.ndim == 0 else value.copy()
    plan = PopulationPlan(pop.label, pop.size, name, params, {}, bool(ct.is_source), [])
    if name == "SpikeSourceArray":
        dt = pop.network.dt
        times = [np.round(t / dt) * dt for t in ct.times_per_neuron(pop.size)]
        if target == "nest":
            # pyNN.nest subtracts min_delay from the times and NEST's spike_generator rounds a time that lies a
            # rounding error above the grid up to the next step: aim a hair below (far less than NEST's 1 us tic)
            times = [t - NEST_TIME_NUDGE for t in times]
        elif target == "spiNNaker":
            # sPyNNaker floors t * 1000 (us) to a tick: aim a hair above the grid
            times = [t + NEST_TIME_NUDGE for t in times]
        plan.parameters = {"spike_times": times}
        if target == "nest" and any(t.size and t.min() < 2 * dt - 1e-3 * dt for t in times):
            # pyNN.nest emits a source's spike at t - min_delay through a parrot neuron: t must leave room for it
            raise ExportError(f"population {pop.label!r}: on NEST a spike source must fire at t >= 2 dt "
                              f"({2 * dt} ms); shift the spike times")
    elif name == "SpikeSourcePoisson":
        notes.append(f"population {pop.label!r}: Poisson spikes are drawn by the target's own generator "
                     f"(same rates, other spikes)")
    else:
        for key in ct.default_initial_values:
            if key not in ("v", "u"):  # PyNN targets initialise the membrane state, not currents or counters
                if key in pop.initial_values and np.any(pop.initial(key) != 0):
                    raise ExportError(f"population {pop.label!r}: an initial {key} other than 0 cannot be set on "
                                      f"{target}")
                continue
            value = pop.initial(key)
            plan.initial_values[key] = float(value[0]) if np.all(value == value[0]) else value
    if name == "IF_curr_exp" and target == "brian2":
        from engramsim.sim.spiking.cells.if_curr_exp import refractory_steps

        dt = pop.network.dt
        steps = refractory_steps(np.atleast_1d(params["tau_refrac"]), dt)
        refrac = (steps + 1) * dt  # see the note describe() adds
        params["tau_refrac"] = float(refrac[0]) if np.ndim(params["tau_refrac"]) == 0 else refrac
    if name == "Izhikevich":
        scheme = ct.scheme
        if target == "nest":
            plan.nest_options["consistent_integration"] = scheme != "izhikevich2003"
        else:
            msg = (f"population {pop.label!r}: Izhikevich scheme {scheme!r} is not selectable on {target} "
                   f"(the target integrates with its own scheme)")
            if strict:
                raise ExportError(msg + "; pass strict=False to accept the difference")
            notes.append(msg)
    for src in pop.current_sources:
        plan.currents.append(_current(src, pop, target, notes))
    for mon in pop.monitors:
        if isinstance(mon, SpikeMonitor):
            plan.record.append("spikes")
        elif isinstance(mon, StateMonitor):
            plan.record.extend(v for v in mon.variables if v not in plan.record)
    return plan


def _current(src: Any, pop: Any, target: str, notes: list[str]) -> tuple:
    if isinstance(src, DCSource):
        amp = np.asarray(src.amplitude, dtype=float)
        if amp.ndim:
            raise ExportError(f"population {pop.label!r}: a per-cell DCSource amplitude has no PyNN equivalent; "
                              f"use the cell parameter i_offset instead")
        return ("dc", float(amp))
    if isinstance(src, NoisyCurrentSource):
        if np.ndim(src.mean) or np.ndim(src.stdev):
            raise ExportError(f"population {pop.label!r}: NoisyCurrentSource with per-cell mean or stdev has no "
                              f"PyNN equivalent (PyNN's takes scalars); inject one source per population")
        notes.append(f"population {pop.label!r}: noise current drawn by the target's NoisyCurrentSource (same "
                     f"mean and stdev per step of {pop.network.dt} ms, other random numbers)")
        return ("noise", float(src.mean), float(src.stdev))
    if isinstance(src, ArrayCurrentSource):
        amps = src.amplitudes
        return ("steps", np.arange(amps.shape[0]) * pop.network.dt, amps.copy())
    raise ExportError(f"population {pop.label!r}: current source {type(src).__name__} has no PyNN equivalent")


def _projection(proj: Any, target: str, dt: float, notes: list[str], convert: bool) -> ProjectionPlan:
    pre, post = proj.pre_index.copy(), proj.post_index.copy()
    w = proj.get_weights("list")
    d = proj.delays * dt
    sign = -1.0 if proj.receptor_type == "inhibitory" and target in ("nest", "brian2", "mock") else 1.0
    what = f"projection {proj.label!r} ({proj.pre.label} -> {proj.post.label})"
    if sign < 0 and np.any(w < 0):
        raise ExportError(f"{what}: inhibitory weights must be magnitudes >= 0, got {float(w.min())}")
    stdp = None
    if proj.plastic:
        par = proj.synapse_type.pair_stdp_parameters()
        w_max, w_min = par["w_max"], par["w_min"]
        scale = 1.0 if target == "spiNNaker" or not convert else w_max
        if scale == 0:
            raise ExportError(f"{what}: w_max = 0 cannot carry PyNN's amplitude A_plus * w_max")
        stdp = {"tau_plus": par["tau_plus"], "tau_minus": par["tau_minus"], "A_plus": par["amp_plus"] / scale,
                "A_minus": par["amp_minus"] / scale, "w_min": w_min, "w_max": w_max}
        if target == "nest":
            if w_min != 0.0:
                raise ExportError(f"{what}: NEST's additive STDP has no lower bound but 0, got w_min = {w_min}")
            if proj.receptor_type == "inhibitory":
                raise ExportError(f"{what}: NEST's stdp_synapse cannot be inhibitory on a current-based cell "
                                  f"(its weights would have to be negative)")
        if target != "spiNNaker" and convert:
            notes.append(f"{what}: A_plus and A_minus divided by w_max = {w_max} (PyNN's additive rule on "
                         f"{target} multiplies them by w_max)")
    scale = 1000.0 if (target == "nest" and proj.post.celltype.__class__.__name__ == "Izhikevich") else 1.0
    n_pre, n_post = proj.pre.size, proj.post.size
    uniform_w = w.size > 0 and np.all(w == w[0])
    uniform_d = d.size > 0 and np.all(d == d[0])
    kind = type(proj.connector)
    full = pre.size == n_pre * n_post and np.array_equal(pre * n_post + post, np.arange(n_pre * n_post))
    plan = ProjectionPlan(proj.label, proj.pre.label, proj.post.label, "FromListConnector", {},
                          proj.receptor_type, None, None, None, stdp, (pre, post, w.copy(), d.copy()), scale)
    if kind is OneToOne and uniform_w and uniform_d and n_pre > 1:
        plan.connector, plan.weight, plan.delay = "OneToOneConnector", sign * float(w[0]), float(d[0])
    elif kind is AllToAll and uniform_w and uniform_d:
        plan.connector, plan.weight, plan.delay = "AllToAllConnector", sign * float(w[0]), float(d[0])
        plan.connector_args = {"allow_self_connections": proj.connector.allow_self_connections}
    elif full and uniform_d and target != "spiNNaker":  # sPyNNaker's synapses take no weight matrix
        plan.connector, plan.delay = "AllToAllConnector", float(d[0])
        plan.weight = sign * w.reshape(n_pre, n_post)
    else:
        plan.conn_list = np.column_stack([pre, post, sign * w, d]).astype(float)
    return plan


__all__ = ["ExportError", "ExportPlan", "PopulationPlan", "ProjectionPlan", "describe", "target_name"]
