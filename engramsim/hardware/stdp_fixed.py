"""sPyNNaker 7's pair STDP (additive weight dependence) in its fixed-point arithmetic: NumPy reference, Numba twin.

What a SpiNNaker core does for a plastic synapse, per the sPyNNaker 7.4 sources
(``synapse_dynamics_stdp_mad_impl.c``, ``post_events.h``,
``timing_pair_impl.h``, ``weight_additive_one_term_impl.h``,
``stdp_typedefs.h``), written here from their description:

* **Weights** live in the synaptic row as 16-bit ring-buffer units of the
  target's shift ``r``.  At a presynaptic spike the row's weights are lifted to
  s16.15 (``units << r``), updated, and stored back truncated
  (``s1615 >> r``): a change smaller than one unit is lost at every spike.
* **Rule constants** ``w_min``, ``w_max``, ``A_plus``, ``A_minus`` are sent as
  s16.15 (nA; the amplitudes are *not* multiplied by ``w_max``).
* **Traces** are 16-bit signed integers with ``2048`` as one; a trace decays by
  ``(trace * lut[k]) >> 11`` (the low 16 bits of both factors multiplied as
  signed numbers), ``lut[k] = floor(2048 exp(-k dt / tau))`` and 0 past the
  table (:func:`~engramsim.hardware.fixed_point.exp_lut`).  A weight change is
  ``A * trace``: the trace shifted left by 4 (an s16.15 number) times the
  s16.15 amplitude, the product truncated (``>> 15``).
* **Presynaptic state** per row: the last spike step ``L`` (0 at first) and its
  trace ``r`` (0 at first); at a spike ``r <- ((r lut+[t - L]) >> 11) + 2048``.
* **Postsynaptic history** per cell: 16 slots, slot 0 a placeholder (time 0,
  trace 0), so at most **15** spikes are remembered; a new spike past that
  shifts slots 2..15 down by one and takes slot 15 (the oldest real one is
  forgotten).  At a spike ``o <- ((o lut-[p - p_prev]) >> 11) + 2048`` from the
  newest slot.
* **At a presynaptic spike at step t** (the whole delay ``d`` dendritic,
  postsynaptic spikes stamped ``p + d``): with ``L`` and ``r`` of the previous
  spike, every remembered ``p`` with ``max(L - d, 0) < p <= t - d``, in time
  order, potentiates ``w <- min(w + A_plus ((r lut+[p + d - L]) >> 11), w_max)``;
  then the latest remembered ``p*`` with ``p* <= t - d`` (not the placeholder)
  depresses ``w <- max(w - A_minus ((o(p*) lut-[t - p* - d]) >> 11), w_min)``;
  the spike carries the new weight.

This is the rule of :func:`engramsim.learning_rules.stdp.spynnaker7_synapse_history` (and the engine's
``"spynnaker7"`` convention) in sPyNNaker's arithmetic and with its bounded history.  Where the sources
leave the arithmetic to the compiler: an ``accum`` product is truncated toward minus infinity, which is how
GCC's ARM back end expands it (``mulsa3`` in ``arm-fixed.md``: the 64-bit product, bits 15 to 46); nothing
here has been run against a board.

Arrays (all int64): the row's ``units`` and postsynaptic cell indices ``posts``; a history is
``count`` (cells,), ``times`` and ``traces`` (cells, 16).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from engramsim.errors import ValidationError
from engramsim.hardware.fixed_point import add_spike_to_trace, exp_lut, fixed_mul16, lut_value, to_s1615
from engramsim.sim.validation import check_float, check_int

__all__ = ["HISTORY_SLOTS", "PairRuleConstants", "add_post_spikes", "add_post_spikes_numba", "mul_accum_fixed",
           "new_history", "pair_rule_constants", "row_update", "row_update_numba"]

#: slots of a postsynaptic history; slot 0 is the placeholder, so 15 spikes are remembered
HISTORY_SLOTS = 16


@dataclass(frozen=True)
class PairRuleConstants:
    """The raw constants of one plastic projection on its target core.

    ``lut_plus``, ``lut_minus``: decay tables; ``a2_plus``, ``a2_minus``, ``w_min``, ``w_max``: raw s16.15;
    ``shift``: the target's ring-buffer shift; ``delay``: the projection's delay (steps, all dendritic).
    """

    lut_plus: np.ndarray
    lut_minus: np.ndarray
    a2_plus: int
    a2_minus: int
    w_min: int
    w_max: int
    shift: int
    delay: int


def pair_rule_constants(parameters: dict[str, Any], shift: int, delay: int, dt: float) -> PairRuleConstants:
    """Constants from :meth:`~engramsim.learning_rules.stdp.STDPMechanism.pair_stdp_parameters` (``spynnaker7``)."""
    if parameters.get("convention", "spynnaker7") != "spynnaker7":
        raise ValidationError(f"convention: sPyNNaker's pair rule is the 'spynnaker7' convention, got "
                              f"{parameters['convention']!r}")
    taus = {k: check_float(parameters[k], k, 0.0, strict_minimum=True) for k in ("tau_plus", "tau_minus")}
    # what fits s16.15 (sPyNNaker sends these four in that format)
    values = {k: check_float(parameters[k], k, -65536.0, 65535.0)
              for k in ("amp_plus", "amp_minus", "w_min", "w_max")}
    if values["w_min"] > values["w_max"]:
        raise ValidationError(f"w_min must be <= w_max, got {values['w_min']} > {values['w_max']}")
    raw = {k: int(to_s1615(v)) for k, v in values.items()}
    return PairRuleConstants(exp_lut(taus["tau_plus"], dt), exp_lut(taus["tau_minus"], dt), raw["amp_plus"],
                             raw["amp_minus"], raw["w_min"], raw["w_max"], check_int(shift, "shift", 0, 15),
                             check_int(delay, "delay", 1))


def mul_accum_fixed(a: Any, trace: Any) -> np.ndarray:
    """An s16.15 amplitude ``a`` times an STDP-format number ``trace`` (2048 = 1), in s16.15, truncated."""
    t = np.asarray(trace, dtype=np.int64) << 4
    return (np.asarray(a, dtype=np.int64) * t) >> 15


def new_history(n: int, slots: int = HISTORY_SLOTS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An empty postsynaptic history of ``n`` cells: ``(count, times, traces)``, the placeholder in slot 0.

    ``slots``: sPyNNaker's ``MAX_POST_SYNAPTIC_EVENTS`` (16, a compile-time constant of its binaries); more
    slots ask what a chip that remembered more postsynaptic spikes would do.
    """
    slots = check_int(slots, "slots", minimum=2)
    return (np.zeros(n, np.int64), np.zeros((n, slots), np.int64), np.zeros((n, slots), np.int64))


def add_post_spikes(cells: np.ndarray, t: int, count: np.ndarray, times: np.ndarray, traces: np.ndarray,
                    lut_minus: np.ndarray) -> np.ndarray:
    """Record a spike at step ``t`` of each cell in ``cells`` in the history (in place).

    Returns, per entry of ``cells``, the step of the spike a full history forgot to make room (-1: none).
    """
    cells = np.asarray(cells, dtype=np.int64)
    if cells.size == 0:
        return np.zeros(0, np.int64)
    last = count[cells]
    trace = add_spike_to_trace(traces[cells, last], t - times[cells, last], lut_minus)
    slots = times.shape[1]
    full = last >= slots - 1
    forgotten = np.where(full, times[cells, 1], -1)
    if full.any():
        f = cells[full]
        times[f, 1:-1] = times[f, 2:]
        traces[f, 1:-1] = traces[f, 2:]
    slot = np.where(full, slots - 1, last + 1)
    times[cells, slot] = t
    traces[cells, slot] = trace
    count[cells] = slot
    return forgotten


def row_update(t: int, last_pre: int, last_trace: int, units: np.ndarray, posts: np.ndarray, count: np.ndarray,
               times: np.ndarray, traces: np.ndarray, c: PairRuleConstants) -> np.ndarray:
    """The weights (units) a row's spike at step ``t`` carries, after the deferred update; ``units`` updated in place.

    ``last_pre``, ``last_trace``: the row's previous spike step and trace (0, 0 before its first spike).
    Vectorised over the row's synapses: the history's slots (15 on the chip) are visited in time order.
    """
    d = c.delay
    w = np.asarray(units, dtype=np.int64) << c.shift
    begin = last_pre - d if last_pre >= d else 0
    end = t - d if t >= d else 0
    n = count[posts]
    t_hist, o_hist = times[posts], traces[posts]
    prev = np.zeros(posts.size, np.int64)  # slot of the latest spike at or before `end` (0: the placeholder)
    for k in range(1, times.shape[1]):
        valid = k <= n
        inside = valid & (t_hist[:, k] > begin) & (t_hist[:, k] <= end)
        decayed = fixed_mul16(last_trace, lut_value(t_hist[:, k] + d - last_pre, c.lut_plus))
        w = np.where(inside, np.minimum(w + mul_accum_fixed(c.a2_plus, decayed), c.w_max), w)
        prev = np.where(valid & (t_hist[:, k] <= end), k, prev)
    rows = np.arange(posts.size)
    lag = t - (t_hist[rows, prev] + d)
    decayed = fixed_mul16(o_hist[rows, prev], lut_value(lag, c.lut_minus))
    w = np.where(prev > 0, np.maximum(w - mul_accum_fixed(c.a2_minus, decayed), c.w_min), w)
    units[:] = (w >> c.shift) & 0xFFFF
    return units


def _row_loop(t, last_pre, last_trace, units, posts, count, times, traces, lut_plus, lut_minus, a2_plus, a2_minus,
              w_min, w_max, shift, d):  # pragma: no cover (compiled by Numba)
    begin = last_pre - d if last_pre >= d else 0
    end = t - d if t >= d else 0
    r = ((last_trace + 0x8000) & 0xFFFF) - 0x8000
    for s in range(posts.size):
        j = posts[s]
        w = units[s] << shift
        prev = 0
        for k in range(1, count[j] + 1):
            p = times[j, k]
            if p > end:
                break
            prev = k
            if p > begin:
                lag = p + d - last_pre
                f = lut_plus[lag] if lag < lut_plus.size else 0
                w += (a2_plus * ((((r * f) >> 11)) << 4)) >> 15
                if w > w_max:
                    w = w_max
        if prev > 0:
            lag = t - (times[j, prev] + d)
            f = lut_minus[lag] if 0 <= lag < lut_minus.size else 0
            o = ((traces[j, prev] + 0x8000) & 0xFFFF) - 0x8000
            w -= (a2_minus * (((o * f) >> 11) << 4)) >> 15
            if w < w_min:
                w = w_min
        units[s] = (w >> shift) & 0xFFFF


def _post_loop(cells, t, count, times, traces, lut_minus, forgotten):  # pragma: no cover (compiled by Numba)
    last_slot = times.shape[1] - 1
    for e in range(cells.size):
        j = cells[e]
        last = count[j]
        forgotten[e] = -1
        lag = t - times[j, last]
        f = lut_minus[lag] if 0 <= lag < lut_minus.size else 0
        o = ((traces[j, last] + 0x8000) & 0xFFFF) - 0x8000
        trace = ((((o * f) >> 11) + 2048 + 0x8000) & 0xFFFF) - 0x8000
        if last >= last_slot:
            forgotten[e] = times[j, 1]
            for k in range(2, last_slot + 1):
                times[j, k - 1] = times[j, k]
                traces[j, k - 1] = traces[j, k]
            slot = last_slot
        else:
            slot = last + 1
        times[j, slot] = t
        traces[j, slot] = trace
        count[j] = slot


_COMPILED: dict[str, Any] = {}


def _compiled(name: str, source) -> Any:
    if name not in _COMPILED:
        import numba

        _COMPILED[name] = numba.njit(cache=True)(source)
    return _COMPILED[name]


def row_update_numba(t: int, last_pre: int, last_trace: int, units: np.ndarray, posts: np.ndarray,
                     count: np.ndarray, times: np.ndarray, traces: np.ndarray, c: PairRuleConstants) -> np.ndarray:
    """The Numba twin of :func:`row_update` (bit-identical; synapse by synapse, slot by slot)."""
    _compiled("row", _row_loop)(int(t), int(last_pre), int(last_trace), units, posts, count, times, traces,
                                c.lut_plus, c.lut_minus, c.a2_plus, c.a2_minus, c.w_min, c.w_max, c.shift, c.delay)
    return units


def add_post_spikes_numba(cells: np.ndarray, t: int, count: np.ndarray, times: np.ndarray, traces: np.ndarray,
                          lut_minus: np.ndarray) -> np.ndarray:
    """The Numba twin of :func:`add_post_spikes`."""
    cells = np.asarray(cells, dtype=np.int64)
    forgotten = np.empty(cells.size, np.int64)
    _compiled("post", _post_loop)(cells, int(t), count, times, traces, lut_minus, forgotten)
    return forgotten
