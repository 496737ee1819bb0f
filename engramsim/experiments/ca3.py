"""Registered experiments on the CA3 content-addressable memory (Casanueva-Morato et al. 2024).

* ``ca3-functional``: the authors' functional test (c = 5, m = 10, 90 ms):
  learn, recall by cue, recall by content, relearning (forgetting).
* ``ca3-stress``: long random sequences of learn, overwrite, recall-by-cue and
  recall-by-content operations, swept over ``n_cues``, ``n_content``,
  ``n_operations`` and seeds; every operation is compared with an ideal CAM
  of the same semantics (one memory per cue, overwrite on relearning, OR
  recall by content).
* ``ca3-state-map``: the authors' application: a 4 x 4 map stored as cell ->
  state-flag memories (c = 16, m = 6) and queried by content.

Each dataset holds every population's raster (``spikes_<P>`` over ``time``
and ``<P>_index``; ``ca3-stress`` keeps the first ``raster_ms`` ms) and the
decoded operations along ``operation``: kind, start, cue, bits, the answer
read at OUT, the ideal CAM's answer and whether they agree.
"""

from __future__ import annotations

import time as _time
from typing import Any

import numpy as np
import xarray as xr

from engramsim.experiments.plotting import figure, style
from engramsim.experiments.registry import Experiment, as_list, register
from engramsim.experiments.sweep import Metric
from engramsim.networks.ca3 import POPULATIONS, CA3Memory, Operation
from engramsim.networks.ca3.operations import KINDS, LEARN, RECALL_BY_CONTENT, RECALL_BY_CUE, operations_from_spec, \
    random_operations
from engramsim.sim.validation import check_float, check_int

#: the functional test of the authors' script (experiment 1): (kind, cue, bits, start ms)
FUNCTIONAL_OPERATIONS = (
    (LEARN, 0, (0, 1, 8, 9), 0), (LEARN, 4, (1, 5, 6), 10), (LEARN, 3, (4, 5, 6), 20), (RECALL_BY_CUE, 0, (), 30),
    (RECALL_BY_CONTENT, None, (6,), 40), (RECALL_BY_CONTENT, None, (0, 4), 50), (LEARN, 3, (1, 3, 4, 8), 60),
    (RECALL_BY_CUE, 3, (), 70), (RECALL_BY_CONTENT, None, (6,), 80),
)
#: the state map of the authors' application (experiment 3), row by row; cell k = row * 4 + column
STATE_MAP = ((0, 5, 1, 3), (0, 3, 4, 5), (0, 5, 4, 3), (2, 4, 4, 3))
STATE_NAMES = ("unknown", "initial", "goal", "free", "path", "obstacle")
#: the application's queries (start ms, flags): route (initial, goal, path), free cells, obstacles, unknown
STATE_QUERIES = ((112, (1, 2, 4)), (118, (3,)), (124, (5,)), (130, (0,)))
KIND_CODES = {kind: k for k, kind in enumerate(KINDS)}


# ----------------------------------------------------------------------------- shared pieces
def raster_metrics(n_cues: int, n_content: int) -> dict[str, Metric]:
    """One raster metric per population: ``spikes_<P>`` over (``time``, ``<P>_index``)."""
    return {f"spikes_{p}": Metric(f"spikes of {p}", "1", ("time", f"{p}_index")) for p in POPULATIONS}


OPERATION_METRICS = {
    "op_kind": Metric("operation: 0 learn, 1 recall by cue, 2 recall by content", "1", ("operation",)),
    "op_start": Metric("start of the operation", "ms", ("operation",)),
    "op_cue": Metric("cue of the operation (-1: none)", "1", ("operation",)),
    "op_bits": Metric("content bits given to the operation", "1", ("operation", "bit")),
    "answer_cues": Metric("cues read at OUT (learn, recall by cue: +5; recall by content: +6)", "1",
                          ("operation", "cue")),
    "answer_content": Metric("content read at OUT (learn: +5; recall by cue: +6; recall by content: +5)", "1",
                             ("operation", "bit")),
    "answer_echo": Metric("old content shown at +6 of a learn", "1", ("operation", "bit")),
    "ideal_cues": Metric("cues an ideal CAM returns", "1", ("operation", "cue")),
    "ideal_content": Metric("content an ideal CAM returns", "1", ("operation", "bit")),
    "exact": Metric("answer equals the ideal CAM's", "1", ("operation",)),
    "raster_exact": Metric("every OUT spike of the operation's window as the documented timing predicts", "1",
                           ("operation",)),
}


def _indicator(sets, size: int) -> np.ndarray:
    out = np.zeros((len(sets), size))
    for k, s in enumerate(sets):
        out[k, sorted(s)] = 1.0
    return out


def outcome_values(outcomes, n_cues: int, n_content: int) -> dict[str, np.ndarray]:
    """The operation metrics of a list of :class:`~engramsim.networks.ca3.operations.Outcome`."""
    ops = [o.operation for o in outcomes]
    return {
        "op_kind": np.array([KIND_CODES[op.kind] for op in ops], float),
        "op_start": np.array([o.start for o in outcomes], float),
        "op_cue": np.array([-1 if op.cue is None else op.cue for op in ops], float),
        "op_bits": _indicator([op.bits for op in ops], n_content),
        "answer_cues": _indicator([o.cues for o in outcomes], n_cues),
        "answer_content": _indicator([o.content for o in outcomes], n_content),
        "answer_echo": _indicator([o.echo for o in outcomes], n_content),
        "ideal_cues": _indicator([o.expected_cues for o in outcomes], n_cues),
        "ideal_content": _indicator([o.expected_content for o in outcomes], n_content),
        "exact": np.array([o.exact for o in outcomes], float),
        "raster_exact": np.array([o.raster_exact for o in outcomes], float),
    }


def raster_values(result, n_steps: int | None = None) -> dict[str, np.ndarray]:
    """``spikes_<P>`` rasters (0/1, time x cell) of a :class:`~engramsim.networks.ca3.CA3Result`."""
    ds = result.to_xarray()
    if n_steps is not None:
        ds = ds.isel(time=slice(0, n_steps))
    return {name: ds[name].values.astype(float) for name in ds.data_vars}


def finalize(ds: xr.Dataset, params: dict[str, Any]) -> xr.Dataset:
    """Time in ms, cell and bit coordinates, and the kind codes."""
    if "time" in ds.dims:
        ds = ds.assign_coords(time=("time", np.arange(ds.sizes["time"], dtype=float), {"units": "ms"}))
    ds.attrs.update(kinds=", ".join(f"{k} {kind}" for kind, k in KIND_CODES.items()),
                    model="CA3 CAM (Casanueva-Morato et al. 2024), sPyNNaker 7 STDP, dt = 1 ms")
    return ds


def _first(da: xr.DataArray) -> xr.DataArray:
    return da.isel({d: 0 for d in da.dims if d not in ("time", "operation", "bit", "cue")
                    and not d.endswith("_index")})


def plot_raster(ax, ds: xr.Dataset, t_max: float | None = None) -> None:
    """All populations stacked (IN at the bottom, OUT on top), operations shaded and labelled with their answers."""
    offset, ticks, labels = 0, [], []
    colors = dict(zip(POPULATIONS, ["tab:green", "tab:orange", "tab:cyan", "goldenrod", "tab:blue", "k", "navy",
                                    "darkviolet", "tab:purple", "tab:red"]))
    for p in POPULATIONS:
        r = _first(ds[f"spikes_{p}"])
        r = r.dropna(f"{p}_index", how="all").dropna("time", how="all")
        t, n = np.nonzero(r.values > 0.5)
        ax.scatter(r["time"].values[t], n + offset, s=10, color=colors[p], marker="|", linewidths=1.2)
        size = r.sizes[f"{p}_index"]
        ticks.append(offset + (size - 1) / 2)
        labels.append(p)
        ax.axhline(offset - 0.5, color="0.85", lw=0.5)
        offset += size
    kinds = {k: kind for kind, k in KIND_CODES.items()}
    starts, kind_codes = _first(ds["op_start"]).values, _first(ds["op_kind"]).values
    exact = _first(ds["exact"]).values
    cues, bits = _first(ds["answer_cues"]).values, _first(ds["answer_content"]).values
    given, op_cue = _first(ds["op_bits"]).values, _first(ds["op_cue"]).values
    echo = _first(ds["answer_echo"]).values
    t_end = t_max if t_max is not None else float(ds["time"].values[-1]) + 1
    for k in range(starts.size):
        if np.isnan(starts[k]) or starts[k] >= t_end:
            continue
        kind = kinds[int(kind_codes[k])]
        arg = (f"c{int(op_cue[k])}" if kind != RECALL_BY_CONTENT else "") + \
            ("{" + ",".join(str(b) for b in np.flatnonzero(given[k] > 0.5)) + "}" if kind != RECALL_BY_CUE else "")
        ans = ("c" + ",".join(str(c) for c in np.flatnonzero(cues[k] > 0.5)) if kind == RECALL_BY_CONTENT else
               "{" + ",".join(str(b) for b in np.flatnonzero(bits[k] > 0.5)) + "}")
        label = {LEARN: "L", RECALL_BY_CUE: "RC", RECALL_BY_CONTENT: "RB"}[kind] + f" {arg}\n-> {ans}"
        if kind == LEARN and echo[k].any():
            label += " echo {" + ",".join(str(b) for b in np.flatnonzero(echo[k] > 0.5)) + "}"
        ax.axvspan(starts[k] - 0.5, starts[k] + {LEARN: 2.5}.get(kind, 0.5), color="tab:green", alpha=0.15, lw=0)
        ax.text(starts[k], offset + 0.5 + (k % 2) * 0.09 * offset, label, fontsize=6, va="bottom",
                color="k" if exact[k] > 0.5 else "tab:red")
    ax.set_yticks(ticks, labels, fontsize=7)
    ax.set_ylim(-1, offset * 1.3 + 5)
    ax.set_xlim(-1, t_end)
    ax.set_xlabel("time (ms)")


# ----------------------------------------------------------------------------- ca3-functional
FUNCTIONAL_DEFAULTS: dict[str, Any] = {"backend": "auto"}


def functional_point(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """The authors' functional test through the sequence runner."""
    mem = CA3Memory(5, 10, backend=params["backend"])
    seq = mem.run_sequence(operations_from_spec(FUNCTIONAL_OPERATIONS, 5, 10))
    out = raster_values(seq.result, 90)
    out.update(outcome_values(seq.outcomes, 5, 10))
    out["n_exact"] = float(seq.n_exact)
    return out


def plot_functional(ds: xr.Dataset):
    """Raster of every population, the nine operations annotated with what they returned."""
    fig, (ax,) = figure(1, width=11.0, height=5.5)
    plot_raster(ax, ds)
    ax.set_title(f"CA3 CAM functional test (c = 5, m = 10): {int(_first(ds['n_exact']))} of 9 operations as an "
                 f"ideal CAM (red: differs)", fontsize=9)
    return fig


register(Experiment(
    name="ca3-functional",
    description="CA3 content-addressable memory: the authors' functional test (learn, recall, forget), c=5, m=10",
    point=functional_point, defaults=FUNCTIONAL_DEFAULTS,
    metrics={**raster_metrics(5, 10), **OPERATION_METRICS, "n_exact": Metric("operations as an ideal CAM", "1")},
    seeds=1, finalize=finalize, plot=plot_functional,
))


# ----------------------------------------------------------------------------- ca3-state-map
def state_map_operations() -> list[tuple]:
    """The application's operations: learn every cell's state flag (7 ms apart), then the four queries."""
    flat = [s for row in STATE_MAP for s in row]
    learn = [(LEARN, cell, (state,), 7 * cell) for cell, state in enumerate(flat)]
    return learn + [(RECALL_BY_CONTENT, None, flags, start) for start, flags in STATE_QUERIES]


def state_map_point(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """The authors' state-map application through the sequence runner."""
    mem = CA3Memory(16, 6, backend=params["backend"])
    seq = mem.run_sequence(operations_from_spec(state_map_operations(), 16, 6))
    out = raster_values(seq.result, 140)
    out.update(outcome_values(seq.outcomes, 16, 6))
    out["n_exact"] = float(seq.n_exact)
    return out


def plot_state_map(ds: xr.Dataset):
    """The map, the cells each query returned, and the raster with the operations annotated."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(13.0, 8.0), layout="constrained")
    grid = fig.add_gridspec(2, 5)
    ax_map = fig.add_subplot(grid[0, 0])
    grid_map = np.array(STATE_MAP)
    ax_map.imshow(grid_map, cmap="Pastel1", vmin=0, vmax=8)
    for (r, c), s in np.ndenumerate(grid_map):
        ax_map.text(c, r, f"{r * 4 + c}\n{STATE_NAMES[s]}", ha="center", va="center", fontsize=7)
    ax_map.set(title="stored map (cell, state)", xticks=[], yticks=[])
    cues = _first(ds["answer_cues"]).values
    exact = _first(ds["exact"]).values
    for q, (start, flags) in enumerate(STATE_QUERIES):
        ax = fig.add_subplot(grid[0, q + 1])
        k = 16 + q
        hit = cues[k, :16].reshape(4, 4) > 0.5
        ax.imshow(hit, cmap="Greens", vmin=0, vmax=1.5)
        for (r, c), s in np.ndenumerate(grid_map):
            ax.text(c, r, STATE_NAMES[s], ha="center", va="center", fontsize=6)
        names = " or ".join(STATE_NAMES[f] for f in flags)
        ax.set(xticks=[], yticks=[])
        ax.set_title(f"t = {start} ms: {names}\n{'as an ideal CAM' if exact[k] > 0.5 else 'differs from ideal'}",
                     fontsize=8)
    ax_r = fig.add_subplot(grid[1, :])
    plot_raster(ax_r, ds)
    ax_r.set_title("raster of every population (L: learn cell {flag}, RB: recall by content -> cells)", fontsize=9)
    return fig


register(Experiment(
    name="ca3-state-map",
    description="CA3 content-addressable memory: the authors' 4x4 state map (c=16 cells, m=6 flags) queried by content",
    point=state_map_point, defaults={"backend": "auto"},
    metrics={**raster_metrics(16, 6), **OPERATION_METRICS, "n_exact": Metric("operations as an ideal CAM", "1")},
    seeds=1, finalize=finalize, plot=plot_state_map,
))


# ----------------------------------------------------------------------------- ca3-stress
STRESS_DEFAULTS: dict[str, Any] = {
    "n_cues": [5, 20, 100],
    "n_content": [10, 20, 100],
    "n_operations": 200,
    "density": 0.2,
    "fragment": 2,
    "p_learn": 0.4,
    "p_recall_by_cue": 0.3,
    "gap": 0,
    "raster_ms": 150,
    "backend": "auto",
}


def check_stress(params: dict[str, Any]) -> None:
    """Reject impossible settings before any work starts."""
    for c in as_list(params["n_cues"]):
        check_int(c, "n_cues", minimum=1)
    for m in as_list(params["n_content"]):
        check_int(m, "n_content", minimum=1)
    for n in as_list(params["n_operations"]):
        check_int(n, "n_operations", minimum=1)
    for d in as_list(params["density"]):
        check_float(d, "density", 0.0, 1.0, strict_minimum=True)
    for f in as_list(params["fragment"]):
        check_int(f, "fragment", minimum=1)
    check_int(params["raster_ms"], "raster_ms", minimum=0)
    for g in as_list(params["gap"]):
        check_int(g, "gap", minimum=0)
    for a in as_list(params["p_learn"]):
        for b in as_list(params["p_recall_by_cue"]):
            check_float(a, "p_learn", 0.0, 1.0)
            check_float(b, "p_recall_by_cue", 0.0, 1.0)
            if a + b > 1.0:
                raise ValueError(f"p_learn + p_recall_by_cue must be <= 1, got {a} + {b}")


def classify_false_cues(outcomes) -> tuple[int, int]:
    """False cues of recalls by content: those sharing at least two query bits with the cue's overwritten contents
    (forgotten bits whose weights sum over threshold), and the others."""
    former: dict[int, set[int]] = {}
    current: dict[int, frozenset] = {}
    stale = other = 0
    for o in outcomes:
        op = o.operation
        if op.kind == RECALL_BY_CONTENT:
            for cue in o.cues - o.expected_cues:
                forgotten = former.get(cue, set()) - current.get(cue, frozenset())
                if len(forgotten & set(op.bits)) >= 2:
                    stale += 1
                else:
                    other += 1
        if op.kind == LEARN:
            if op.cue in current:
                former.setdefault(op.cue, set()).update(current[op.cue])
            current[op.cue] = frozenset(op.bits)
    return stale, other


def stress_point(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """One random sequence on one memory, compared operation by operation with the ideal CAM."""
    c, m = int(params["n_cues"]), int(params["n_content"])
    rng = np.random.default_rng([seed, c, m])
    spec = random_operations(rng, c, m, int(params["n_operations"]), float(params["density"]),
                             int(params["fragment"]), float(params["p_learn"]), float(params["p_recall_by_cue"]),
                             int(params["gap"]))
    mem = CA3Memory(c, m, backend=params["backend"])
    ops = operations_from_spec(spec, c, m)
    t0 = _time.perf_counter()
    seq = mem.run_sequence(ops)
    wall = _time.perf_counter() - t0
    outcomes = seq.outcomes
    exact = np.array([o.exact for o in outcomes])
    learned: set[int] = set()
    overwrite = []
    for o in outcomes:
        overwrite.append(o.operation.kind == LEARN and o.operation.cue in learned)
        if o.operation.kind == LEARN:
            learned.add(o.operation.cue)
    overwrite = np.array(overwrite)
    kinds = np.array([o.operation.kind for o in outcomes])
    frac = lambda mask: float(exact[mask].mean()) if mask.any() else np.nan  # noqa: E731
    out = raster_values(seq.result, int(params["raster_ms"]))
    out.update(outcome_values(outcomes, c, m))
    wrong = np.flatnonzero(~exact)
    out.update({
        "fraction_exact": float(exact.mean()),
        "fraction_raster_exact": float(np.mean([o.raster_exact for o in outcomes])),
        "exact_learn_new": frac((kinds == LEARN) & ~overwrite),
        "exact_overwrite": frac(overwrite),
        "exact_recall_by_cue": frac(kinds == RECALL_BY_CUE),
        "exact_recall_by_content": frac(kinds == RECALL_BY_CONTENT),
        "first_error": float(wrong[0]) if wrong.size else -1.0,
        "false_cues": float(sum(len(o.cues - o.expected_cues) for o in outcomes)),
        "false_cues_forgotten": float(classify_false_cues(outcomes)[0]),
        "missed_cues": float(sum(len(o.expected_cues - o.cues) for o in outcomes)),
        "false_bits": float(sum(len(o.content - o.expected_content) for o in outcomes)),
        "missed_bits": float(sum(len(o.expected_content - o.content) for o in outcomes)),
        "sim_ms": float(mem.t),
        "wall_s": wall,
        "operations_per_s": len(ops) / wall,
        "real_time_factor": (mem.t / 1000.0) / wall,
    })
    return out


STRESS_METRICS = {
    **{f"spikes_{p}": Metric(f"spikes of {p} (first raster_ms)", "1", ("time", f"{p}_index")) for p in POPULATIONS},
    **OPERATION_METRICS,
    "fraction_exact": Metric("operations whose answer equals the ideal CAM's", "1"),
    "fraction_raster_exact": Metric("operations whose OUT spikes are exactly the documented ones", "1"),
    "exact_learn_new": Metric("exact fraction of learns of a new cue", "1"),
    "exact_overwrite": Metric("exact fraction of learns that overwrite a cue", "1"),
    "exact_recall_by_cue": Metric("exact fraction of recalls by cue", "1"),
    "exact_recall_by_content": Metric("exact fraction of recalls by content", "1"),
    "first_error": Metric("index of the first operation that differs from the ideal CAM (-1: none)", "1"),
    "false_cues": Metric("cues returned that the ideal CAM does not return (all operations)", "1"),
    "false_cues_forgotten": Metric("false cues of recalls by content that share >= 2 query bits with the cue's "
                                   "overwritten contents", "1"),
    "missed_cues": Metric("cues the ideal CAM returns that were not returned", "1"),
    "false_bits": Metric("content bits returned that the ideal CAM does not return", "1"),
    "missed_bits": Metric("content bits the ideal CAM returns that were not returned", "1"),
    "sim_ms": Metric("simulated time", "ms"),
    "wall_s": Metric("wall-clock time of the sequence (build, compile cache, run, decode)", "s"),
    "operations_per_s": Metric("operations per wall-clock second", "1/s"),
    "real_time_factor": Metric("simulated time per wall-clock time (SpiNNaker: 1)", "1"),
}


def plot_stress(ds: xr.Dataset):
    """Exact fraction per operation kind against the memory's size, and the first point's raster."""
    fig, (ax_f, ax_r) = figure(2, width=6.5, height=4.8)
    names = ["fraction_exact", "exact_overwrite", "exact_recall_by_cue", "exact_recall_by_content"]
    size_dims = [d for d in ("n_cues", "n_content") if d in ds.dims]
    stacked = ds[names].mean("seed") if "seed" in ds.dims else ds[names]
    others = [d for d in stacked.dims if d not in ("operation", "bit", "cue", "time") and not d.endswith("_index")]
    flat = stacked.stack(point=others) if others else stacked.expand_dims(point=[0])
    labels = [", ".join(f"{d.replace('n_', '')}={v}" for d, v in zip(others, p)) if others else ""
              for p in flat["point"].values]
    x = np.arange(flat.sizes["point"])
    for k, name in enumerate(names):
        ax_f.plot(x, flat[name].values, marker="os^vD"[k % 5], label=name.replace("exact_", ""), ms=4, **style(k))
    ax_f.set_xticks(x, labels, rotation=45, ha="right", fontsize=7)
    ax_f.set(ylabel="fraction equal to the ideal CAM", ylim=(-0.03, 1.03),
             title=f"random sequences, {int(np.atleast_1d(ds['op_kind'].count('operation').values).max())} "
                   f"operations ({', '.join(size_dims) or 'one size'})")
    ax_f.legend(fontsize=7)
    t_max = float(ds["time"].values[-1]) + 1 if "time" in ds.dims else None
    plot_raster(ax_r, ds, t_max)
    ax_r.set_title(f"first point: raster of the first {t_max or 0:.0f} ms, operations annotated", fontsize=9)
    return fig


register(Experiment(
    name="ca3-stress",
    description="CA3 content-addressable memory: random learn/overwrite/recall sequences against an ideal CAM",
    point=stress_point, defaults=STRESS_DEFAULTS, metrics=STRESS_METRICS, seeds=1, finalize=finalize,
    plot=plot_stress, check=check_stress,
))
