"""Write a native network as a standalone, readable PyNN script.

The script imports only NumPy and the chosen PyNN backend; it builds the
same populations and projections as :func:`engramsim.hardware.pynn.to_pynn`
(from the same :class:`~engramsim.hardware.plan.ExportPlan`), runs for the
given duration and writes the spikes of every recorded population to an
``.npz`` file (``<label>_times`` in ms and ``<label>_neurons``), with cell
spike times moved to the native convention (start of the step).  Arrays
longer than a few values (per-cell parameters, weight matrices, connection
lists, spike times) go to a companion ``<script>.data.npz`` that the script
loads from its own folder.

::

    write_pynn_script(net, "ca3_nest.py", simulator="nest", duration=90.0)
    # then, without engramsim:  python ca3_nest.py --out spikes.npz
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from engramsim.hardware.plan import ExportPlan, describe, target_name
from engramsim.sim.spiking import Network
from engramsim.sim.validation import check_float

#: arrays with more values than this go to the companion .npz
INLINE_LIMIT = 12


class _Data:
    """Collects arrays for the companion file and returns the expression that loads each."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def expr(self, value: Any, key: str) -> str:
        if isinstance(value, np.ndarray):
            if value.size <= INLINE_LIMIT and value.ndim == 1:
                return "np.array([" + ", ".join(repr(float(x)) for x in value) + "])"
            self.arrays[key] = value
            return f"data[{key!r}]"
        return repr(float(value)) if isinstance(value, (float, np.floating, int, np.integer)) else repr(value)


def render(plan: ExportPlan, duration: float, data_name: str) -> tuple[str, dict[str, np.ndarray]]:
    """The script text and the arrays of its companion file."""
    data = _Data()
    sim = {"nest": "pyNN.nest", "spiNNaker": "pyNN.spiNNaker", "brian2": "pyNN.brian2", "mock": "pyNN.mock"}[
        plan.target]
    lines = [
        f'"""PyNN script written by engramsim.hardware.write_pynn_script for {sim}.',
        "",
        f"Time step {plan.dt} ms; runs {duration} ms and writes the spikes of the recorded populations.",
    ]
    if plan.notes:
        lines += ["", "Differences from the native simulation:", ""] + [f"* {n}" for n in plan.notes]
    lines += ['"""', "", "import argparse", "import os", "", "import numpy as np", f"import {sim} as sim",
              "from pyNN.parameters import Sequence", "",
              "HERE = os.path.dirname(os.path.abspath(__file__))",
              f"data = np.load(os.path.join(HERE, {data_name!r}), allow_pickle=False)", "",
              "parser = argparse.ArgumentParser()",
              f"parser.add_argument('--out', default=os.path.join(HERE, "
              f"{Path(data_name).name.replace('.data.npz', '_spikes.npz')!r}))",
              "args = parser.parse_args()", "",
              f"sim.setup({', '.join(f'{k}={v!r}' for k, v in plan.setup.items())})", "", "populations = {}"]
    for p in plan.populations:
        var = f"populations[{p.label!r}]"
        if p.celltype == "SpikeSourceArray":
            times = p.parameters["spike_times"]
            if plan.target == "nest":
                lines.append("# spike times sit 1e-6 ms below the grid: pyNN.nest subtracts min_delay and NEST "
                             "rounds a time a hair above the grid up to the next step")
            for i, t in enumerate(times):
                data.arrays[f"{p.label}/spike_times/{i}"] = t
            celltype = (f"sim.SpikeSourceArray(spike_times=[Sequence(data[f'{p.label}/spike_times/{{i}}']) "
                        f"for i in range({p.size})])")
        else:
            args = ", ".join(f"{k}={data.expr(v, f'{p.label}/{k}')}" for k, v in p.parameters.items())
            celltype = f"sim.{p.celltype}({args})"
        lines.append(f"{var} = sim.Population({p.size}, {celltype}, label={p.label!r})")
        if p.initial_values:
            args = ", ".join(f"{k}={data.expr(v, f'{p.label}/initial/{k}')}" for k, v in p.initial_values.items())
            lines.append(f"{var}.initialize({args})")
        if p.nest_options:
            lines += ["import nest", f"nest.SetStatus({var}.node_collection, {p.nest_options!r})"]
        for k, cur in enumerate(p.currents):
            if cur[0] == "dc":
                lines.append(f"{var}.inject(sim.DCSource(amplitude={cur[1]!r}))")
            elif cur[0] == "noise":
                lines.append(f"{var}.inject(sim.NoisyCurrentSource(mean={cur[1]!r}, stdev={cur[2]!r}, "
                             f"dt={plan.dt!r}))")
            else:
                data.arrays[f"{p.label}/current{k}/times"] = cur[1]
                data.arrays[f"{p.label}/current{k}/amplitudes"] = cur[2]
                lines.append(f"for i in range({p.size}):\n    {var}[i:i + 1].inject(sim.StepCurrentSource("
                             f"times=data['{p.label}/current{k}/times'], "
                             f"amplitudes=data['{p.label}/current{k}/amplitudes'][:, i]))")
        if p.record:
            lines.append(f"{var}.record({p.record!r})")
    lines += ["", "projections = {}"]
    for q in plan.projections:
        if q.connector == "FromListConnector":
            data.arrays[f"{q.label}/conn_list"] = q.conn_list
            conn = (f"sim.FromListConnector([(int(i), int(j), w, d) for i, j, w, d in data[{q.label + '/conn_list'!r}]"
                    f"], column_names=['weight', 'delay'])")
            kw = ""
        else:
            args = ", ".join(f"{k}={v!r}" for k, v in q.connector_args.items())
            conn = f"sim.{q.connector}({args})"
            kw = f"weight={data.expr(q.weight, q.label + '/weight')}, delay={q.delay!r}"
        if q.stdp is None:
            syn = f"sim.StaticSynapse({kw})"
        else:
            s = q.stdp
            syn = (f"sim.STDPMechanism(\n    timing_dependence=sim.SpikePairRule(tau_plus={s['tau_plus']!r}, "
                   f"tau_minus={s['tau_minus']!r}, A_plus={s['A_plus']!r}, A_minus={s['A_minus']!r}),\n"
                   f"    weight_dependence=sim.AdditiveWeightDependence(w_min={s['w_min']!r}, "
                   f"w_max={s['w_max']!r}){', ' + kw if kw else ''})")
        lines.append(f"projections[{q.label!r}] = sim.Projection(\n    populations[{q.pre!r}], "
                     f"populations[{q.post!r}], {conn},\n    {syn},\n    receptor_type={q.receptor_type!r}, "
                     f"label={q.label!r})")
    recorded = [p for p in plan.populations if "spikes" in p.record]
    lines += ["", f"sim.run({duration!r})", "",
              f"# cells' spike times + {plan.spike_time_offset!r} ms = engramsim's stamps (start of the step)",
              "result = {}"]
    for p in recorded:
        offset = 0.0 if p.is_source else plan.spike_time_offset
        lines += [f"trains = populations[{p.label!r}].get_data('spikes').segments[-1].spiketrains",
                  "times = [np.asarray(st.rescale('ms').magnitude) for st in trains]",
                  f"result[{p.label + '_times'!r}] = np.round((np.concatenate(times) + {offset!r}) / {plan.dt!r}) "
                  f"* {plan.dt!r}",
                  f"result[{p.label + '_neurons'!r}] = np.concatenate([np.full(t.size, st.annotations.get("
                  f"'source_index', k)) for k, (t, st) in enumerate(zip(times, trains))])"]
    lines += ["if sim.rank() == 0:  # under MPI every rank gathers the spikes; one writes them",
              "    np.savez(args.out, **result)", "    print('wrote', args.out)", "sim.end()", ""]
    return "\n".join(lines), data.arrays


def write_pynn_script(network: Network, path: str | os.PathLike, simulator: str = "nest",
                      duration: float = 100.0, strict: bool = True, convert_stdp: bool = True) -> Path:
    """Write ``network`` as a standalone PyNN script (and its ``.data.npz``).

    Parameters
    ----------
    network
        A native network.
    path
        The script's path (``.py``).  The data file is written next to it.
    simulator
        ``"nest"``, ``"spiNNaker"``, ``"brian2"`` or ``"mock"``.
    duration
        ms the script simulates.
    strict, convert_stdp
        As in :func:`engramsim.hardware.plan.describe`.

    Returns
    -------
    Path
        The script's path.
    """
    duration = check_float(duration, "duration", 0.0, strict_minimum=True)
    path = Path(path)
    if path.suffix != ".py":
        raise ValueError(f"path must end in .py, got {str(path)!r}")
    if not path.parent.is_dir():
        raise ValueError(f"path: folder {str(path.parent)!r} does not exist")
    plan = describe(network, target_name(simulator), strict=strict, convert_stdp=convert_stdp)
    data_name = path.with_suffix("").name + ".data.npz"
    text, arrays = render(plan, duration, data_name)
    np.savez(path.parent / data_name, **arrays)
    path.write_text(text)
    return path


__all__ = ["write_pynn_script"]
