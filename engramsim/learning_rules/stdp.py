"""Pair-based STDP with additive weight dependence: two named timing conventions of one rule.

``SpikePairRule(convention="spynnaker7")`` (the default) is the rule of the
sPyNNaker 7 line, the one that produced the CA3 memory's published spike
tables (and reproduces every population at every millisecond of them):

- amplitudes ``A_plus``, ``A_minus`` in the weight's unit (**not** multiplied
  by ``w_max``);
- the whole synaptic delay ``d`` is dendritic: a postsynaptic spike at ``p``
  is stamped ``p + d``, a presynaptic spike at its emission step ``t``;
- at each presynaptic spike, with the previous spike's ``L`` and trace ``r``:
  potentiation by every postsynaptic spike with ``L < p + d <= t``, in time
  order, ``w <- min(w + A_plus r e^{-(p+d-L)/tau_plus}, w_max)``; then
  depression by the latest ``p*`` with ``p* + d <= t`` (lag zero included),
  ``w <- max(w - A_minus o(p*) e^{-(t-p*-d)/tau_minus}, w_min)``; the spike
  carries the new weight.

:func:`spynnaker7_synapse_history` is that rule, transcribed literally, as a
function of two spike trains; the spiking engine computes it eagerly and the
tests hold the two to the same bits.  With the CA3 parameters (A = 6 nA,
tau = 3 ms, w in [0, 6]) one pairing at lag 1 gives 4.30 nA, the second
spike of a 3-step burst saturates through ``r = 1.513``, and a postsynaptic
spike one step before the presynaptic one resets the weight to 0.

``convention="arrival"`` is the rule as first built here and validated
against Brian2's trace STDP: amplitudes multiplied by ``w_max`` (sPyNNaker
6.0's additive weight dependence), lags ``t_post - (t_pre + delay)`` from the
presynaptic arrival, all-to-all pairing, nothing at lag zero
(:func:`pairing_change`, :func:`stdp_synapse_history`).  It does not
reproduce the CA3 tables: a cue and its content firing together at ``t + 1``
and ``t + 3`` end with weight 0.

This module holds the rules as functions of arrays and the PyNN-named
parameter objects (:class:`SpikePairRule`, :class:`AdditiveWeightDependence`,
:class:`STDPMechanism`).  The spiking engine simulates a
:class:`~engramsim.sim.spiking.Projection` whose ``synapse_type`` is an
:class:`STDPMechanism`, on both backends::

    stdp = STDPMechanism(timing_dependence=SpikePairRule(tau_plus=3.0, tau_minus=3.0, A_plus=6.0, A_minus=6.0),
                         weight_dependence=AdditiveWeightDependence(w_min=0.0, w_max=6.0),
                         weight=0.0, delay=1.0)
    proj = Projection(cue, content, AllToAllConnector(), stdp)
    net.add(proj); net.run(100.0)
    proj.get("weight", format="array")        # every pairing so far applied
    proj.get_weights(include_pending=False)   # as each synapse last transmitted it (sPyNNaker's stored matrix)

Conventions of the engine common to both: time in whole steps; one delay for
all synapses of a plastic projection; initial weights inside ``[w_min,
w_max]``; excitatory or inhibitory receptor (an inhibitory plastic weight is
a bounded magnitude, as in PyNN); float64 arithmetic with the C library's
``exp``.  ``get_weights()`` returns the weights with every pairing so far
applied (under ``spynnaker7``: the potentiation of every postsynaptic spike
stamped up to the end of the run; the depression waits for the next
presynaptic spike, as the rule says); ``include_pending=False`` the weights
each synapse last transmitted.  Splitting a run into pieces changes
neither.  sPyNNaker's fixed-point weights, its 2048-scaled exponential table
and its finite post-spike history are not emulated here; the hardware layer
does that (:mod:`engramsim.hardware.stdp_fixed`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from engramsim.errors import ValidationError
from engramsim.sim.validation import check_choice, check_float, check_real_array


#: the named timing conventions of the pair rule (see the module docstring)
CONVENTIONS = ("spynnaker7", "arrival")


@dataclass(frozen=True)
class SpikePairRule:
    """Timing dependence (PyNN's name): time constants in ms, amplitudes, and the timing convention.

    ``convention="spynnaker7"`` (default): amplitudes in the weight's unit (nA), lags
    ``t_post + delay - t_pre``, depression at lag zero (see
    :func:`spynnaker7_synapse_history`).  ``convention="arrival"``:
    amplitudes dimensionless (multiplied by ``w_max``), lags from the
    presynaptic arrival, nothing at lag zero (see
    :func:`stdp_synapse_history`).
    """

    tau_plus: float = 20.0
    tau_minus: float = 20.0
    A_plus: float = 0.01  # noqa: N815 (PyNN's name)
    A_minus: float = 0.01  # noqa: N815
    convention: str = "spynnaker7"

    def __post_init__(self):
        check_float(self.tau_plus, "tau_plus", 0.0, strict_minimum=True)
        check_float(self.tau_minus, "tau_minus", 0.0, strict_minimum=True)
        check_float(self.A_plus, "A_plus", 0.0)
        check_float(self.A_minus, "A_minus", 0.0)
        check_choice(self.convention, "convention", CONVENTIONS)


@dataclass(frozen=True)
class AdditiveWeightDependence:
    """Weight dependence (PyNN's name): bounds of the weight (nA or mV, as the synapse)."""

    w_min: float = 0.0
    w_max: float = 1.0

    def __post_init__(self):
        check_float(self.w_min, "w_min")
        check_float(self.w_max, "w_max")
        if self.w_max < self.w_min:
            raise ValueError(f"w_max must be >= w_min ({self.w_min}), got {self.w_max}")


def pairing_change(lag: np.ndarray, timing: SpikePairRule, weights: AdditiveWeightDependence) -> np.ndarray:
    """Weight change of single pairings at ``lag = t_post - t_pre_arrival`` (ms), before clipping.

    Positive lags potentiate by ``A_plus * w_max * exp(-lag/tau_plus)``,
    negative ones depress by ``A_minus * w_max * exp(lag/tau_minus)``, zero
    does nothing.
    """
    lag = check_real_array(lag, "lag", ndim=(0, 1), allow_empty=True)
    with np.errstate(over="ignore"):
        pot = timing.A_plus * weights.w_max * np.exp(-np.abs(lag) / timing.tau_plus)
        dep = timing.A_minus * weights.w_max * np.exp(-np.abs(lag) / timing.tau_minus)
    return np.where(lag > 0, pot, np.where(lag < 0, -dep, 0.0))


def stdp_synapse_history(pre_times, post_times, w0: float, delay: float, timing: SpikePairRule,
                         weights: AdditiveWeightDependence) -> np.ndarray:
    """Weights one synapse transmits at each of its presynaptic spikes (deferred all-to-all pair rule).

    Parameters
    ----------
    pre_times, post_times
        Sorted spike times (ms) of the presynaptic and postsynaptic cell.
    w0
        Initial weight.
    delay
        Synaptic delay (ms); presynaptic spikes arrive at ``t_pre + delay``.
    timing, weights
        The rule's parameters.

    Returns
    -------
    ndarray
        For each presynaptic spike, the weight after the deferred updates
        were applied (the weight it transmits).  Updates at arrival ``A_k``:
        first every postsynaptic spike in ``[A_{k-1}, A_k)`` potentiates by
        its pairings with all earlier arrivals, then arrival ``A_k`` is
        depressed by its pairings with all earlier postsynaptic spikes; the
        weight is clipped after each event.
    """
    pre = check_real_array(pre_times, "pre_times", ndim=1, allow_empty=True)
    post = check_real_array(post_times, "post_times", ndim=1, allow_empty=True)
    for name, arr in (("pre_times", pre), ("post_times", post)):
        if np.any(np.diff(arr) < 0):
            raise ValueError(f"{name} must be sorted")
    delay = check_float(delay, "delay", 0.0)
    w = check_float(w0, "w0", weights.w_min, weights.w_max)
    arrivals = pre + delay
    out = np.empty(arrivals.size)
    previous = -np.inf
    for k, a in enumerate(arrivals):
        for p in post[(post >= previous) & (post < a)]:
            lags = p - arrivals[:k]
            w = float(np.clip(w + pairing_change(lags[lags > 0], timing, weights).sum(), weights.w_min,
                              weights.w_max))
        lags = post[post < a] - a
        w = float(np.clip(w + pairing_change(lags, timing, weights).sum(), weights.w_min, weights.w_max))
        out[k] = w
        previous = a
    return out


def _ticks(times, name: str, dt: float) -> np.ndarray:
    """Spike times (ms) as strictly increasing whole steps of ``dt``."""
    arr = check_real_array(times, name, ndim=1, allow_empty=True)
    steps = np.rint(arr / dt)
    off = np.abs(arr / dt - steps) > 1e-9 * np.maximum(1.0, np.abs(arr / dt))
    if np.any(off):
        raise ValidationError(f"{name} must be whole multiples of dt = {dt} ms, got {float(arr[off][0])} ms")
    if np.any(np.diff(steps) <= 0):
        raise ValidationError(f"{name} must be strictly increasing (one spike per cell per step), got "
                              f"{arr.tolist()[:8]}{' ...' if arr.size > 8 else ''}")
    return steps.astype(np.int64)


def spynnaker7_decay(lag_steps: int, dt: float, tau: float) -> float:
    """``exp(-(lag_steps * dt) / tau)`` through ``math.exp``: the one expression the rule and the engine share."""
    return math.exp(-(float(lag_steps) * dt) / tau)


def spynnaker7_synapse_history(pre_times, post_times, w0: float, delay: float, timing: SpikePairRule,
                               weights: AdditiveWeightDependence, dt: float = 1.0,
                               until: float | None = None) -> np.ndarray | tuple[np.ndarray, float]:
    """Weights one synapse carries at its presynaptic spikes under sPyNNaker 7's pair rule.

    A literal transcription of the rule that reproduces the CA3 memory's
    published spike tables (``convention="spynnaker7"``).  Time is in steps
    of ``dt``; the whole delay ``d`` (steps) is dendritic, so a
    postsynaptic spike at step ``p`` is stamped ``p + d``.  State: the
    presynaptic cell's last spike ``L`` (none at first) and trace ``r``
    (``r <- r e^{-(t-L) dt/tau_plus} + 1`` at each of its spikes); each
    postsynaptic spike ``p`` has a trace ``o(p) = o(p_prev) e^{-(p - p_prev)
    dt/tau_minus} + 1``.  At a presynaptic spike at step ``t``, with ``L`` and
    ``r`` still those of the previous spike:

    1. potentiation: for each postsynaptic spike ``p`` with ``L < p + d <= t``,
       in time order, ``w <- min(w + A_plus * r * e^{-(p+d-L) dt/tau_plus}, w_max)``
       (nothing before the first presynaptic spike);
    2. depression: for the latest ``p*`` with ``p* + d <= t`` (equality
       included), ``w <- max(w - A_minus * o(p*) * e^{-(t-p*-d) dt/tau_minus}, w_min)``;
    3. ``r`` and ``L`` are updated;
    4. the spike carries the new ``w``.

    ``A_plus`` and ``A_minus`` are in the weight's unit (not multiplied by ``w_max``).

    Parameters
    ----------
    pre_times, post_times
        Spike times (ms) of the presynaptic and postsynaptic cell: strictly
        increasing whole multiples of ``dt``.
    w0
        Initial weight, inside ``[w_min, w_max]``.
    delay
        The synapse's delay (ms), a whole number (>= 1) of steps.
    timing, weights
        The rule's parameters (``timing.convention`` is not consulted).
    dt
        Time step (ms).
    until
        If given (ms, a whole number of steps), also return the weight at
        that time with the potentiation of every postsynaptic spike with
        ``L < p + d <= until`` applied (what the engine reports with the
        pending changes included after running ``until`` ms).

    Returns
    -------
    carried : ndarray
        The weight carried by each presynaptic spike.
    w_now : float
        Only with ``until``.
    """
    dt = check_float(dt, "dt", 0.0, strict_minimum=True)
    pre = _ticks(pre_times, "pre_times", dt)
    post = _ticks(post_times, "post_times", dt)
    d_f = check_float(delay, "delay", dt) / dt
    if abs(d_f - round(d_f)) > 1e-9 * d_f:
        raise ValidationError(f"delay must be a whole number of steps of dt = {dt} ms, got {delay} ms")
    d = int(round(d_f))
    w = check_float(w0, "w0", weights.w_min, weights.w_max)
    a_plus, a_minus = float(timing.A_plus), float(timing.A_minus)
    tau_p, tau_m = float(timing.tau_plus), float(timing.tau_minus)
    w_min, w_max = float(weights.w_min), float(weights.w_max)
    o = np.empty(post.size)
    for k in range(post.size):
        o[k] = 1.0 if k == 0 else o[k - 1] * spynnaker7_decay(post[k] - post[k - 1], dt, tau_m) + 1.0
    last, r = -1, 0.0
    carried = np.empty(pre.size)
    has_last = False
    for n, t in enumerate(pre.tolist()):
        if has_last:
            w = _potentiate(w, post, d, last, t, r, a_plus, tau_p, w_max, dt)
        k = int(np.searchsorted(post, t - d, side="right")) - 1  # latest p with p + d <= t
        if k >= 0:
            w = max(w - a_minus * o[k] * spynnaker7_decay(t - post[k] - d, dt, tau_m), w_min)
        r = r * spynnaker7_decay(t - last, dt, tau_p) + 1.0 if has_last else 1.0
        last, has_last = t, True
        carried[n] = w
    if until is None:
        return carried
    end = _ticks([until], "until", dt)[0]
    if has_last:
        w = _potentiate(w, post, d, last, end, r, a_plus, tau_p, w_max, dt)
    return carried, w


def _potentiate(w, post, d, last, t, r, a_plus, tau_p, w_max, dt) -> float:
    """Apply, in time order, the potentiation of every postsynaptic spike ``p`` with ``last < p + d <= t``."""
    for p in post[(post + d > last) & (post + d <= t)].tolist():
        w = min(w + a_plus * r * spynnaker7_decay(p + d - last, dt, tau_p), w_max)
    return w


class STDPMechanism:
    """A plastic synapse type (PyNN's name): pair STDP with additive weight dependence.

    Parameters
    ----------
    timing_dependence
        A :class:`SpikePairRule` (time constants in ms, amplitudes dimensionless).
    weight_dependence
        An :class:`AdditiveWeightDependence` (bounds in the synapse's weight unit).
    weight
        Initial weight of every synapse, inside ``[w_min, w_max]`` (a
        connector that carries its own weights, such as ``FromList``,
        overrides it; those must lie inside the bounds too).
    delay
        Synaptic delay in ms, one for all synapses (``None``: one time step).

    Notes
    -----
    The spiking engine runs a projection with this synapse type with the
    semantics of the module docstring; see :meth:`pair_stdp_parameters` for
    what it reads.
    """

    plastic = True

    def __init__(self, timing_dependence: SpikePairRule, weight_dependence: AdditiveWeightDependence,
                 weight: float = 0.0, delay: float | None = None):
        if not isinstance(timing_dependence, SpikePairRule):
            raise TypeError(f"timing_dependence must be a SpikePairRule, got {timing_dependence!r}")
        if not isinstance(weight_dependence, AdditiveWeightDependence):
            raise TypeError(f"weight_dependence must be an AdditiveWeightDependence, got {weight_dependence!r}")
        self.timing_dependence = timing_dependence
        self.weight_dependence = weight_dependence
        weight = check_float(weight, "weight")
        if not weight_dependence.w_min <= weight <= weight_dependence.w_max:
            raise ValueError(f"weight must lie in [w_min, w_max] = [{weight_dependence.w_min}, "
                             f"{weight_dependence.w_max}], got {weight}")
        self.weight = weight
        self.delay = None if delay is None else check_float(delay, "delay", 0.0, strict_minimum=True)

    def pair_stdp_parameters(self) -> dict[str, float]:
        """The numbers the spiking engine needs: time constants (ms), amplitudes, bounds, convention.

        Returns
        -------
        dict
            ``tau_plus``, ``tau_minus``, ``amp_plus``, ``amp_minus`` (in the
            weight's unit: ``A_plus`` and ``A_minus`` as given under the
            ``"spynnaker7"`` convention, times ``w_max`` under ``"arrival"``),
            ``w_min``, ``w_max`` and ``convention``.
        """
        t, w = self.timing_dependence, self.weight_dependence
        scale = float(w.w_max) if t.convention == "arrival" else 1.0
        return {"tau_plus": float(t.tau_plus), "tau_minus": float(t.tau_minus),
                "amp_plus": float(t.A_plus) * scale, "amp_minus": float(t.A_minus) * scale,
                "w_min": float(w.w_min), "w_max": float(w.w_max), "convention": t.convention}

    def __repr__(self) -> str:
        return (f"STDPMechanism(timing_dependence={self.timing_dependence!r}, "
                f"weight_dependence={self.weight_dependence!r}, weight={self.weight!r}, delay={self.delay!r})")
