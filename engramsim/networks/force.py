"""FORCE training of an Izhikevich (2007) network on a target signal (Nicola & Clopath 2017).

The reference is ``IZFORCESINE.m`` (ModelDB 190565): N = 2000 cells with
``C = 250 pF``, ``k = 2.5``, ``v_r = -60 mV``, ``v_t = v_r + 40 - b/k``,
``b = -2 nS``, ``a = 0.01 /ms``, ``d = 200 pA``, ``v_peak = 30 mV``,
``v_reset = -65 mV``, bias 1000 pA; initial ``v ~ U[v_r, v_peak]``, ``u = 0``;
static weights ``G N(0, 1) Bernoulli(p) / (p sqrt(N))`` (``G = 5000 pA``,
``p = 0.1``); feedback encoders ``Q U(-1, 1)`` (``Q = 5000 pA``);
double-exponential synapses (2 ms rise, 20 ms decay) whose filtered spike
trains are the features; forward Euler at ``dt = 0.04 ms``; RLS every 20
steps from 5 s to 10 s with ``P0 = 2 I``, in the reference's update order
(:func:`engramsim.learning_rules.rls.rls_update`).  In the reference an
update happens at the 1-based step ``i`` with ``i mod 20 == 1`` and
``imin < i < icrit``; here that is the 0-based step ``t = i - 1``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from engramsim.networks.reservoir_core import FORCE_CELL, SpikingReservoirCore
from engramsim.sim.persist import Persistent
from engramsim.sim.random import stream
from engramsim.sim.validation import check_float, check_int, check_real_array

__all__ = ["ForceNetwork", "ForceRun", "force_sine_target"]


def force_sine_target(t_ms: np.ndarray, frequency_hz: float = 5.0) -> np.ndarray:
    """The reference's teacher ``sin(2 pi f t)`` at times ``t_ms`` (ms)."""
    return np.sin(2.0 * math.pi * frequency_hz * np.asarray(t_ms, float) / 1000.0)


@dataclass
class ForceRun:
    """The record of :meth:`ForceNetwork.run`.

    Attributes
    ----------
    time : ndarray, shape (T,)
        Step times (ms), ``dt, 2 dt, ...`` as in the reference (continuing across runs).
    target, readout : ndarray, shape (T, K)
    rls_steps : ndarray of bool, shape (T,)
        Steps at which RLS updated the decoder.
    spike_counts : ndarray, shape (T,)
    spike_steps, spike_neurons : ndarray
        The first recorded spikes.
    """

    time: np.ndarray
    target: np.ndarray
    readout: np.ndarray
    rls_steps: np.ndarray
    spike_counts: np.ndarray
    spike_steps: np.ndarray
    spike_neurons: np.ndarray

    @property
    def error(self) -> np.ndarray:
        """``readout - target`` (the reference's sign)."""
        return self.readout - self.target


class ForceNetwork(Persistent):
    """The FORCE network of ``IZFORCESINE.m`` (parameters default to the reference).

    Parameters
    ----------
    n_neurons, dt
        N and the step (ms).
    gain, feedback_gain
        ``G`` and ``Q`` (pA).
    connection_probability
        ``p`` of the static weights.
    n_outputs
        Dimension K of the target.
    regularizer
        ``lambda``; ``P0 = I / lambda`` (the reference's ``2 I``: 0.5).
    rls_every
        Steps between RLS updates (20).
    seed, backend
        Named streams ``"weights"``, ``"encoders"``, ``"initial"``; ``"numpy"``,
        ``"numba"`` or ``"auto"``.
    cell
        Overrides of the cell parameters (pF, pA, mV, ms).
    """

    def __init__(self, n_neurons: int = 2000, *, dt: float = 0.04, gain: float = 5000.0,
                 feedback_gain: float = 5000.0, connection_probability: float = 0.1, n_outputs: int = 1,
                 regularizer: float = 0.5, rls_every: int = 20, tau_rise: float = 2.0, tau_decay: float = 20.0,
                 seed: int | None = 0, backend: str = "auto", cell: dict[str, Any] | None = None):
        n = check_int(n_neurons, "n_neurons", minimum=2)
        self.dt = check_float(dt, "dt", 0.0, strict_minimum=True)
        g = check_float(gain, "gain")
        q = check_float(feedback_gain, "feedback_gain")
        prob = check_float(connection_probability, "connection_probability", 0.0, 1.0, strict_minimum=True)
        k = check_int(n_outputs, "n_outputs", minimum=1)
        self.regularizer = check_float(regularizer, "regularizer", 0.0, strict_minimum=True)
        self.rls_every = check_int(rls_every, "rls_every", minimum=1)
        rng_w = stream(seed, "weights")
        weights = g * rng_w.standard_normal((n, n)) * (rng_w.random((n, n)) < prob) / (prob * math.sqrt(n))
        encoders = q * (2.0 * stream(seed, "encoders").random((n, k)) - 1.0)
        params = dict(FORCE_CELL, **(cell or {}))
        self.core = SpikingReservoirCore(params, weights, encoders, np.zeros((n, 0)), dt=self.dt,
                                         tau_rise=tau_rise, tau_decay=tau_decay, backend=backend)
        c = self.core.cell
        self.core.initialize(c["v_r"] + (c["v_peak"] - c["v_r"]) * stream(seed, "initial").random(n), 0.0)
        self.decoder = np.zeros((n, k))
        self.p = np.eye(n) / self.regularizer
        self.steps_done = 0
        self.params = dict(n_neurons=n, dt=self.dt, gain=g, feedback_gain=q, connection_probability=prob,
                           n_outputs=k, regularizer=self.regularizer, rls_every=self.rls_every, seed=seed,
                           backend=self.core.backend.name)

    @property
    def weights(self) -> np.ndarray:
        """The static weights ``W[post, pre]`` (a copy)."""
        return self.core.w_pre.T.copy()

    def reset_p(self) -> None:
        """Restart RLS: ``P <- I / lambda`` (the decoder is kept)."""
        self.p = np.eye(self.core.n) / self.regularizer

    def run(self, duration: float, target: Any = None, *, rls_start: float | None = None,
            rls_stop: float | None = None, spike_capacity: int = 0) -> ForceRun:
        """Run ``duration`` ms; train by RLS between ``rls_start`` and ``rls_stop`` (ms, absolute time).

        Parameters
        ----------
        duration
            Length of this run (ms); it continues from the previous run.
        target
            A callable of time (ms) returning ``(T,)`` or ``(T, K)`` values,
            an array ``(T,)`` / ``(T, K)`` of one value per step, or ``None``
            for the 5 Hz sine.
        rls_start, rls_stop
            RLS acts at steps ``i`` (1-based, counted from the first run)
            with ``i mod rls_every == 1`` and ``rls_start/dt < i < rls_stop/dt``;
            ``None``: no learning.
        spike_capacity
            Spikes to keep (step, cell) for rasters.
        """
        duration = check_float(duration, "duration", 0.0, strict_minimum=True)
        steps = int(round(duration / self.dt))
        if steps < 1:
            raise ValueError(f"duration must cover at least one step of {self.dt} ms, got {duration}")
        i = self.steps_done + 1 + np.arange(steps)  # the reference's 1-based step counter
        time = i * self.dt
        k = self.core.n_outputs
        if target is None:
            tgt = force_sine_target(time)
        elif callable(target):
            tgt = np.asarray(target(time), dtype=float)
        else:
            tgt = target
        tgt = check_real_array(tgt, "target", ndim=(1, 2))
        tgt = tgt.reshape(tgt.shape[0], -1)
        if tgt.shape != (steps, k):
            raise ValueError(f"target must give shape ({steps}, {k}) (one row per step), got {tgt.shape}")
        learn = np.zeros(steps, dtype=np.bool_)
        if rls_start is not None or rls_stop is not None:
            start = 0.0 if rls_start is None else check_float(rls_start, "rls_start", 0.0)
            learn = (i % self.rls_every == 1 % self.rls_every) & (i > round(start / self.dt))
            if rls_stop is not None:
                learn &= i < round(check_float(rls_stop, "rls_stop", 0.0) / self.dt)
        rec = self.core.run(np.zeros((steps, 0)), self.decoder, mode="rls", p=self.p, targets=tgt, learn=learn,
                            spike_capacity=check_int(spike_capacity, "spike_capacity", minimum=0))
        self.steps_done += steps
        return ForceRun(time, tgt, rec.z, learn, rec.spike_counts, rec.spike_steps, rec.spike_neurons)
