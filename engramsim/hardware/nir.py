"""Export to and import from NIR, the Neuromorphic Intermediate Representation (the subset both express).

**Discretisation.** NIR states continuous-time equations, in seconds:
``tau dv/dt = (v_leak - v) + r I`` for ``LIF``, with a synaptic current
``tau_syn dI/dt = -I + w_in x`` for ``CubaLIF``, a spike when ``v`` exceeds
``v_threshold`` and a reset to ``v_reset``.  The simulators that export NIR
(snnTorch, Norse) step these by forward Euler at a step ``dt_nir`` (1e-4 s in
snnTorch's exporter): per step ``v <- (1 - dt_nir/tau) v + (dt_nir/tau)(v_leak + r I)``.
This module maps one such Euler step onto one step ``dt`` of the engine's
``IF_curr_exp`` (sPyNNaker's exact update) with the **same per-step
factors**: ``exp(-dt/tau_m) = 1 - dt_nir/tau`` and likewise for the synapse,
``v_rest = v_leak``, and weights scaled so that an input adds the same amount
to ``v``.  Export is the inverse (``tau = dt_nir / (1 - exp(-dt/tau_m))``), so
export followed by import gives back the same network; the PyNN parameters
are also kept in each node's ``metadata`` and restored exactly when present.

Mapping (``n`` cells, weights ``W[post, pre]``):

* ``IF_curr_exp`` -> ``CubaLIF`` (``tau_syn_E`` and ``tau_syn_I`` must be
  equal where the cell has inhibitory inputs: NIR has one synaptic current);
  ``r = tau_m / cm`` (MOhm: nA -> mV); ``w_in = 1``.
* ``LIF`` (no synaptic current) -> ``IF_curr_exp`` with a synaptic time
  constant of ``dt / 1000``, whose current is gone by the next step.
* ``SpikeSourceArray`` <-> ``Input``; each projection <-> one ``Linear``
  node (``Affine`` on import: its bias becomes ``i_offset``); inhibitory
  projections are negative weights.  Cells with no outgoing projection, and cells
  whose spikes are recorded, get an ``Output`` node.
* The engine's synaptic delay is at least one step, NIR's edges have none:
  every projection must have a one-step delay, and an imported network is one
  step later per layer than the NIR simulator (a spike entering layer ``k``
  at step ``t`` of snnTorch arrives at step ``t + k`` here).
* Refractory periods are not in NIR: ``tau_refrac`` must be 0 on export
  (import gives 0).  A spike resets ``v`` to ``v_reset`` (snnTorch's
  ``reset_mechanism="zero"``; its default, subtraction, has no NIR field).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from engramsim.hardware.plan import ExportError
from engramsim.sim.spiking import (
    Dense,
    IF_curr_exp,
    Network,
    Population,
    Projection,
    SpikeSourceArray,
    StaticSynapse,
)
from engramsim.sim.validation import check_float

#: snnTorch's export step (s)
SNNTORCH_DT = 1e-4
#: an imported LIF's synaptic time constant, in steps: exp(-1000) is 0 in double precision
FAST_SYNAPSE_STEPS = 1e-3
_PYNN_KEYS = ("cm", "tau_m", "tau_refrac", "tau_syn_E", "tau_syn_I", "i_offset", "v_reset", "v_rest", "v_thresh")


def _euler_tau(decay: np.ndarray, dt_nir: float) -> np.ndarray:
    return dt_nir / (1.0 - decay)


def to_nir(network: Network, dt_nir: float = SNNTORCH_DT) -> Any:
    """The NIR graph of ``network`` (``IF_curr_exp`` cells, spike-source inputs, static projections).

    Parameters
    ----------
    network
        A native network; built (connections drawn) if it has not run.
    dt_nir
        The NIR simulator's Euler step (s) that one engine step ``dt`` maps to.

    Returns
    -------
    nir.NIRGraph
        Nodes named by population and projection labels; ``metadata`` holds
        ``dt`` (ms), ``dt_nir`` (s) and ``exporter``.
    """
    import nir

    if not isinstance(network, Network):
        raise ExportError(f"network must be an engramsim.sim.spiking.Network, got {type(network).__name__}")
    dt_nir = check_float(dt_nir, "dt_nir", 0.0, strict_minimum=True)
    network.build()
    dt = network.dt
    nodes: dict[str, Any] = {}
    edges: list[tuple[str, str]] = []
    inhibited = {p.post.label for p in network.projections if p.receptor_type == "inhibitory"}
    for pop in network.populations:
        ct = pop.celltype
        name = type(ct).__name__
        if name == "SpikeSourceArray":
            nodes[pop.label] = nir.Input(input_type=np.array([pop.size]))
            continue
        if name != "IF_curr_exp":
            raise ExportError(f"population {pop.label!r}: NIR export takes IF_curr_exp cells and spike-source "
                              f"arrays, got {name}")
        q = {k: ct.per_neuron(k, pop.size) for k in _PYNN_KEYS}
        if np.any(q["tau_refrac"] > 0):
            raise ExportError(f"population {pop.label!r}: NIR has no refractory period; set tau_refrac = 0 "
                              f"(got up to {float(q['tau_refrac'].max())} ms)")
        if np.any(q["i_offset"] != 0) or pop.current_sources:
            raise ExportError(f"population {pop.label!r}: NIR's CubaLIF has no constant input; i_offset and current "
                              f"sources cannot be exported")
        if pop.label in inhibited and np.any(q["tau_syn_E"] != q["tau_syn_I"]):
            raise ExportError(f"population {pop.label!r}: NIR's CubaLIF has one synaptic current; tau_syn_E and "
                              f"tau_syn_I must be equal when the cell has inhibitory inputs")
        nodes[pop.label] = nir.CubaLIF(
            tau_syn=_euler_tau(np.exp(-dt / q["tau_syn_E"]), dt_nir), tau_mem=_euler_tau(np.exp(-dt / q["tau_m"]),
                                                                                      dt_nir),
            r=q["tau_m"] / q["cm"], v_leak=q["v_rest"], v_threshold=q["v_thresh"], v_reset=q["v_reset"],
            w_in=np.ones(pop.size), metadata={"pynn_celltype": "IF_curr_exp", **{f"pynn_{k}": v for k, v in q.items()}})
    senders = set()
    for proj in network.projections:
        if proj.plastic:
            raise ExportError(f"projection {proj.label!r}: NIR has no plasticity; only static projections export")
        if np.any(proj.delays != 1):
            raise ExportError(f"projection {proj.label!r}: NIR edges have no delay; every delay must be one step "
                              f"({dt} ms), got up to {int(proj.delays.max())} steps")
        post = proj.post
        tau_e = post.celltype.per_neuron("tau_syn_E", post.size)
        init = (tau_e / dt) * (1.0 - np.exp(-dt / tau_e))
        gain = init / (1.0 - np.exp(-dt / tau_e))  # engine weight -> NIR weight with w_in = 1
        w = proj.get_weights("list") * (-1.0 if proj.receptor_type == "inhibitory" else 1.0)
        mat = np.zeros((post.size, proj.pre.size))
        np.add.at(mat, (proj.post_index, proj.pre_index), w * gain[proj.post_index])
        nodes[proj.label] = nir.Linear(weight=mat, metadata={"receptor_type": proj.receptor_type})
        edges += [(proj.pre.label, proj.label), (proj.label, post.label)]
        senders.add(proj.pre.label)
    for pop in network.populations:
        recorded = any(m.kind == "spikes" for m in pop.monitors)
        if not pop.celltype.is_source and (pop.label not in senders or recorded):
            out = f"{pop.label}_output"
            nodes[out] = nir.Output(output_type=np.array([pop.size]))
            edges.append((pop.label, out))
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata={"dt": dt, "dt_nir": dt_nir, "exporter": "engramsim"})


def write_nir(network: Network, path: str | os.PathLike, dt_nir: float = SNNTORCH_DT) -> None:
    """Write :func:`to_nir` of ``network`` to ``path`` (NIR's HDF5 format)."""
    import nir

    nir.write(str(path), to_nir(network, dt_nir))


def _as_array(value: Any, size: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(value, dtype=float).reshape(-1) if np.ndim(value) else float(value),
                           (size,)).astype(float)


def from_nir(graph: Any, inputs: dict[str, Any] | None = None, dt: float | None = None,
             dt_nir: float | None = None, backend: str = "numpy", record: bool = True) -> Network:
    """Build a native network from a NIR graph (``Input``, ``Output``, ``LIF``, ``CubaLIF``, ``Linear``, ``Affine``).

    Parameters
    ----------
    graph
        A ``nir.NIRGraph`` or a path to a ``.nir`` file.
    inputs
        Per ``Input`` node name, its spikes as a boolean ``(steps, size)``
        array (spike at step ``t`` -> time ``t * dt``); missing inputs are
        silent.
    dt
        Engine step (ms); default: the graph's ``metadata["dt"]`` or 0.1 ms.
    dt_nir
        The Euler step (s) the graph was built for; default: the graph's
        ``metadata["dt_nir"]`` or snnTorch's 1e-4 s.
    backend
        The network's backend.
    record
        Record the spikes of every population.

    Returns
    -------
    Network
        Populations labelled by node name; projections labelled
        ``"<linear node>"`` (``":inhibitory"`` appended for the negative part).
    """
    import nir

    if isinstance(graph, (str, os.PathLike)):
        graph = nir.read(str(graph))
    meta = dict(graph.metadata or {})
    dt = check_float(float(meta.get("dt", 0.1)) if dt is None else dt, "dt", 0.0, strict_minimum=True)
    dt_nir = check_float(float(meta.get("dt_nir", SNNTORCH_DT)) if dt_nir is None else dt_nir, "dt_nir", 0.0,
                         strict_minimum=True)
    inputs = dict(inputs or {})
    net = Network(dt=dt, seed=0, backend=backend)
    pops: dict[str, Population] = {}
    info: dict[str, dict[str, Any]] = {}
    extra_bias: dict[str, np.ndarray] = {}
    for name, node in graph.nodes.items():
        kind = type(node).__name__
        if kind == "Input":
            size = int(np.prod(node.input_type["input"] if isinstance(node.input_type, dict) else node.input_type))
            spikes = np.asarray(inputs.pop(name, np.zeros((0, size))), dtype=bool)
            if spikes.ndim != 2 or spikes.shape[1] != size:
                raise ValueError(f"inputs[{name!r}] must be a (steps, {size}) array of spikes, got shape "
                                 f"{spikes.shape}")
            times = [np.nonzero(spikes[:, i])[0] * dt for i in range(size)]
            pops[name] = Population(size, SpikeSourceArray(spike_times=times), label=name)
        elif kind in ("LIF", "CubaLIF"):
            pops[name] = Population(*_cell(node, kind, dt, dt_nir), label=name)
            size = pops[name].size
            info[name] = {"kind": kind, "r": _as_array(node.r, size),
                          "w_in": _as_array(getattr(node, "w_in", 1.0), size)}
        elif kind in ("Linear", "Affine", "Output"):
            continue
        else:
            raise ExportError(f"NIR node {name!r}: {kind} is not imported (LIF, CubaLIF, Linear, Affine, Input, "
                              f"Output are)")
    if inputs:
        raise ValueError(f"inputs names no Input node of the graph: {sorted(inputs)}")
    for pop in pops.values():
        net.add(pop)
    incoming = {dst: src for src, dst in graph.edges}
    for src, dst in graph.edges:
        node = graph.nodes.get(src)
        if src in pops and dst in pops:  # a direct edge: identity weights
            _connect(net, pops[src], pops[dst], np.eye(pops[dst].size, pops[src].size), f"{src}->{dst}", dt,
                     info[dst])
        elif type(node).__name__ in ("Linear", "Affine") and dst in pops:
            pre = incoming.get(src)
            if pre not in pops:
                raise ExportError(f"NIR node {src!r}: its input {pre!r} is not a population (chains of linear "
                                  f"nodes are not imported)")
            _connect(net, pops[pre], pops[dst], np.asarray(node.weight, dtype=float), src, dt, info[dst])
            bias = np.asarray(getattr(node, "bias", 0.0), dtype=float)
            if np.any(bias != 0):
                if info[dst]["kind"] != "LIF":
                    raise ExportError(f"NIR node {src!r}: a bias into a CubaLIF is filtered by its synapse, which a "
                                      f"constant i_offset does not reproduce; only biases into LIF nodes import")
                extra_bias[dst] = extra_bias.get(dst, 0.0) + bias
    for name, bias in extra_bias.items():
        pop = pops[name]
        ct = pop.celltype
        r = ct.per_neuron("tau_m", pop.size) / ct.per_neuron("cm", pop.size)
        ct.parameters["i_offset"] = ct.per_neuron("i_offset", pop.size) + info[name]["r"] * bias / r
    if record:
        for pop in pops.values():
            pop.record("spikes")
    return net


def _cell(node: Any, kind: str, dt: float, dt_nir: float) -> tuple[int, IF_curr_exp]:
    meta = dict(node.metadata or {})
    size = int(np.size(node.v_threshold))
    if meta.get("pynn_celltype") == "IF_curr_exp":
        return size, IF_curr_exp(**{k: _as_array(meta[f"pynn_{k}"], size) for k in _PYNN_KEYS})
    tau_mem = _as_array(node.tau if kind == "LIF" else node.tau_mem, size)
    if np.any(tau_mem <= dt_nir):
        raise ExportError(f"NIR {kind} node: tau must exceed the Euler step dt_nir = {dt_nir} s (a per-step decay "
                          f"1 - dt_nir/tau in (0, 1)), got {float(tau_mem.min())} s")
    tau_m = -dt / np.log1p(-dt_nir / tau_mem)
    if kind == "LIF":
        tau_syn = np.full(size, dt * FAST_SYNAPSE_STEPS)
    else:
        tau_s = _as_array(node.tau_syn, size)
        tau_syn = -dt / np.log1p(-dt_nir / tau_s)
    v_leak = _as_array(node.v_leak, size)
    v_reset = _as_array(getattr(node, "v_reset", v_leak), size)
    # cm = tau_m: the engine's membrane resistance is 1, so v moves by the NIR input times r (carried by weights)
    return size, IF_curr_exp(cm=tau_m, tau_m=tau_m, tau_refrac=0.0, tau_syn_E=tau_syn, tau_syn_I=tau_syn,
                             i_offset=0.0, v_reset=v_reset, v_rest=v_leak,
                             v_thresh=_as_array(node.v_threshold, size))


def _connect(net: Network, pre: Population, post: Population, weight: np.ndarray, label: str, dt: float,
             node: dict[str, Any]) -> None:
    """Projections carrying NIR weights ``weight[post, pre]`` into a node ``node`` (positive and negative parts).

    A NIR input ``x`` moves ``v`` by ``(1 - beta) r x`` (LIF) or enters the
    synaptic current as ``(1 - decay) w_in x`` (CubaLIF); an engine weight
    ``w`` adds ``init * w`` to the current, which moves ``v`` by
    ``(1 - beta) R init w`` with ``R = tau_m / cm``.
    """
    if weight.shape != (post.size, pre.size):
        raise ExportError(f"NIR node {label!r}: weight shape {weight.shape} does not match ({post.size}, "
                          f"{pre.size}) = (post, pre)")
    ct = post.celltype
    tau_s = ct.per_neuron("tau_syn_E", post.size)
    init = (tau_s / dt) * (1.0 - np.exp(-dt / tau_s))
    r_engine = ct.per_neuron("tau_m", post.size) / ct.per_neuron("cm", post.size)
    per_input = node["r"] / (r_engine * init)
    if node["kind"] == "CubaLIF":
        per_input = per_input * (1.0 - np.exp(-dt / tau_s)) * node["w_in"]
    w = weight.T * per_input[None, :]
    for sign, receptor in ((1.0, "excitatory"), (-1.0, "inhibitory")):
        part = np.where(sign * w > 0, sign * w, 0.0)
        if np.any(part):
            net.add(Projection(pre, post, Dense(part), StaticSynapse(delay=dt), receptor_type=receptor,
                               label=label if receptor == "excitatory" else f"{label}:inhibitory"))


__all__ = ["from_nir", "to_nir", "write_nir"]
