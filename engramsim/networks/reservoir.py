"""A heterogeneous Izhikevich reservoir whose readouts predict what event comes, when, and how likely.

**A documented template, not a replication.**  The design follows the
description of Yamada & Chao (arXiv 2510.14382) in secondary notes; their
methods were not available, so every number below is a package choice
(listed on ``docs/models/reservoir.md``):

* ``n_neurons`` Izhikevich (2007) cells (:mod:`engramsim.networks.reservoir_core`),
  ``excitatory_fraction`` of them excitatory, obeying Dale's law; cell
  heterogeneity from one ``r ~ U[0, 1]`` per cell (excitatory:
  ``d = 200 - 100 r^2`` pA, ``v_reset = -65 + 15 r^2`` mV; inhibitory:
  ``d = 50`` pA), an adaptation rate ``a ~ U[a_low, a_high]`` /ms per cell
  (recovery time constants from 33 to 500 ms by default: the slow
  variables that carry the time since the cue) and a bias drawn from
  ``U[bias_low, bias_high]`` pA;
* fixed sparse recurrent weights (probability ``connection_probability``):
  ``+gain |N(0, 1)| / (p sqrt(N))`` from excitatory cells and
  ``-gain (N_E/N_I) |N(0, 1)| / (p sqrt(N))`` from inhibitory ones (balanced
  on average);
* a cue at ``t = 0``: a current ``cue_gain U(0, 1)`` pA into every cell for
  ``cue_duration`` ms; each trial starts from ``v ~ U[v_r, v_peak]``, ``u = 0``;
* two readouts per event channel ``k``; the output is their product
  ``y_k(t) = what_k * when_k(t)``:

  - ``when_k(t) = w_when[:, k] . r(t)``, learned **online** every 1 ms by the
    gated three-factor rule (:func:`~engramsim.learning_rules.three_factor.three_factor_update`,
    normalised rate) with target ``bump(t - latency_k)`` and a gate that is
    open only on the channel whose event occurred, from the cue to
    ``latency_k + 3 event_width``;
  - ``what_k = w_what[:, k] . rbar``, learned **offline** at the end of each
    trial by the two-factor rule (normalised rate) on the post-cue average of
    the features ``rbar``, target 1 for the event that occurred and 0 for
    the others;
  - optionally (``feedback_gain > 0``) the "when" readouts are fed back into
    the cells (closed loop);

* with ``readout="force"`` the same reservoir is read out by one decoder per
  channel trained by RLS (FORCE) every ``rls_every`` ms on the occurred
  event's bump (0 on the other channels); ``reset_p_on_switch`` restarts
  ``P`` at each block switch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engramsim.learning_rules.three_factor import two_factor_update
from engramsim.networks.reservoir_core import FORCE_CELL, SpikingReservoirCore
from engramsim.networks.reservoir_task import Block, Trial, bump, make_trials, switch_schedule
from engramsim.sim.persist import Persistent
from engramsim.sim.random import stream
from engramsim.sim.validation import check_choice, check_float, check_int

__all__ = ["Reservoir", "TrainingRecord", "Prediction", "Block", "Trial", "make_trials", "switch_schedule"]


@dataclass
class Prediction:
    """Readouts of one test trial (learning off).

    Attributes
    ----------
    time : ndarray, shape (T,)
        ms after the cue.
    output : ndarray, shape (T, K)
        The channel outputs (``what * when``, or the FORCE readout).
    when : ndarray, shape (T, K)
        The "when" readouts (the FORCE readout for ``readout="force"``).
    what : ndarray, shape (K,)
        The "what" readouts (ones for ``readout="force"``).
    """

    time: np.ndarray
    output: np.ndarray
    when: np.ndarray
    what: np.ndarray


@dataclass
class TrainingRecord:
    """Trial-by-trial record of :meth:`Reservoir.train` (appended to by every call).

    ``error[i]``: RMS over time and channels of ``output - expectation`` in
    trial ``i`` (the output as it was during the trial, before the trial's
    offline update); ``what_error[i]``: RMS of ``what - p`` before the update;
    ``w_what[i]``, ``w_when[i]``: weights after trial ``i``; ``block[i]``,
    ``event[i]``: the trial's block and event.
    """

    error: list[float] = field(default_factory=list)
    what_error: list[float] = field(default_factory=list)
    block: list[int] = field(default_factory=list)
    event: list[int] = field(default_factory=list)
    w_what: list[np.ndarray] = field(default_factory=list)
    w_when: list[np.ndarray] = field(default_factory=list)


class Reservoir(Persistent):
    """Heterogeneous Izhikevich reservoir with "what" x "when" readouts (template; see the module docstring).

    Parameters
    ----------
    n_neurons, n_channels
        Cells and event channels K.
    excitatory_fraction, connection_probability, gain
        E/I split, recurrent connection probability and weight scale (pA).
    bias_low, bias_high
        Range of the per-cell bias current (pA).
    a_low, a_high
        Range of the per-cell adaptation rate ``a`` (1/ms).
    feedback_gain
        ``Q``: encoders ``Q U(-1, 1)`` feed the "when" readouts back (0: open loop).
    cue_gain, cue_duration
        Cue current scale (pA) and length (ms).
    trial_length, event_width
        Trial length after the cue and the width of the event bump (ms).
    dt
        Time step (ms).
    readout
        ``"three-factor"`` or ``"force"``.
    learning_rate_when, learning_rate_what
        Normalised rates of the three-factor and two-factor rules.
    tau_eligibility
        Eligibility trace time constant (ms).
    rls_every, regularizer
        FORCE readout: ms between RLS updates and ``lambda`` (``P0 = I / lambda``).
    seed, backend
        Seed of the named streams; ``"numpy"``, ``"numba"`` or ``"auto"``.
    """

    def __init__(self, n_neurons: int = 1000, *, n_channels: int = 2, excitatory_fraction: float = 0.8,
                 connection_probability: float = 0.1, gain: float = 1000.0, bias_low: float = 900.0,
                 bias_high: float = 1100.0, a_low: float = 0.002, a_high: float = 0.03, feedback_gain: float = 0.0, cue_gain: float = 2000.0,
                 cue_duration: float = 50.0, trial_length: float = 500.0, event_width: float = 20.0,
                 dt: float = 0.1, readout: str = "three-factor", learning_rate_when: float = 0.1,
                 learning_rate_what: float = 0.1, tau_eligibility: float = 5.0, rls_every: float = 5.0,
                 regularizer: float = 1.0, gate_outside: float = 0.25, seed: int | None = 0,
                 backend: str = "auto"):
        n = check_int(n_neurons, "n_neurons", minimum=4)
        k = check_int(n_channels, "n_channels", minimum=1)
        frac = check_float(excitatory_fraction, "excitatory_fraction", 0.0, 1.0)
        n_exc = int(round(frac * n))
        if not 0 < n_exc < n:
            raise ValueError(f"excitatory_fraction must leave cells of both kinds, got {frac} of {n}")
        prob = check_float(connection_probability, "connection_probability", 0.0, 1.0, strict_minimum=True)
        gain = check_float(gain, "gain", 0.0)
        lo = check_float(bias_low, "bias_low")
        hi = check_float(bias_high, "bias_high", lo)
        a_lo = check_float(a_low, "a_low", 0.0, strict_minimum=True)
        a_hi = check_float(a_high, "a_high", a_lo)
        q = check_float(feedback_gain, "feedback_gain", 0.0)
        self.cue_gain = check_float(cue_gain, "cue_gain")
        self.cue_duration = check_float(cue_duration, "cue_duration", 0.0)
        self.trial_length = check_float(trial_length, "trial_length", 0.0, strict_minimum=True)
        self.event_width = check_float(event_width, "event_width", 0.0, strict_minimum=True)
        self.dt = check_float(dt, "dt", 0.0, strict_minimum=True)
        if self.dt > 1.0 or abs(1.0 / self.dt - round(1.0 / self.dt)) > 1e-9:
            raise ValueError(f"dt must divide 1 ms (learning runs on a 1 ms grid), got {self.dt}")
        self.readout = check_choice(readout, "readout", ("three-factor", "force"))
        self.eta_when = check_float(learning_rate_when, "learning_rate_when", 0.0)
        self.eta_what = check_float(learning_rate_what, "learning_rate_what", 0.0)
        self.tau_eligibility = check_float(tau_eligibility, "tau_eligibility", 0.0, strict_minimum=True)
        self.rls_every = check_float(rls_every, "rls_every", self.dt)
        self.regularizer = check_float(regularizer, "regularizer", 0.0, strict_minimum=True)
        self.gate_outside = check_float(gate_outside, "gate_outside", 0.0, 1.0)
        self._feature_power: float | None = None
        self._offset = np.zeros(n)
        self.steps = int(round(self.trial_length / self.dt))
        self.time = np.arange(self.steps) * self.dt

        r_cell = stream(seed, "cells").random(n)
        exc = np.arange(n) < n_exc
        cells = dict(FORCE_CELL)
        cells["d"] = np.where(exc, 200.0 - 100.0 * r_cell ** 2, 50.0)
        cells["v_reset"] = np.where(exc, -65.0 + 15.0 * r_cell ** 2, -65.0)
        cells["a"] = a_lo + (a_hi - a_lo) * stream(seed, "adaptation").random(n)
        cells["bias"] = lo + (hi - lo) * stream(seed, "bias").random(n)
        rng_w = stream(seed, "weights")
        mag = np.abs(rng_w.standard_normal((n, n))) * (rng_w.random((n, n)) < prob) * gain / (prob * math.sqrt(n))
        sign = np.where(exc, 1.0, -n_exc / (n - n_exc))
        weights = mag * sign[None, :]
        encoders = q * (2.0 * stream(seed, "encoders").random((n, k)) - 1.0)
        cue_enc = self.cue_gain * stream(seed, "cue").random((n, 1))
        self.core = SpikingReservoirCore(cells, weights, encoders, cue_enc, dt=self.dt, backend=backend)
        self.n_exc, self.n_channels = n_exc, k
        self.w_when = np.zeros((n, k))
        self.w_what = np.zeros((n, k))
        self.decoder = np.zeros((n, k))
        self.p = np.eye(n) / self.regularizer
        self.record = TrainingRecord()
        self._trial_rng = stream(seed, "trials")
        self._test_rng = stream(seed, "test")
        self.params = dict(n_neurons=n, n_channels=k, n_exc=n_exc, connection_probability=prob, gain=gain,
                           feedback_gain=q, dt=self.dt, readout=self.readout, seed=seed,
                           backend=self.core.backend.name)

    # ------------------------------------------------------------------ helpers
    def _start_trial(self, rng: np.random.Generator) -> None:
        c = self.core.cell
        self.core.initialize(c["v_r"] + (c["v_peak"] - c["v_r"]) * rng.random(self.core.n), 0.0)

    def _cue(self, amplitude: float) -> np.ndarray:
        x = np.zeros((self.steps, 1))
        x[self.time < self.cue_duration, 0] = amplitude
        return x

    def _check_trial(self, trial: Any, index: int) -> Trial:
        if not isinstance(trial, Trial):
            raise TypeError(f"trials[{index}] must be a Trial (see reservoir_task.make_trials), got "
                            f"{type(trial).__name__}")
        if len(trial.probabilities) != self.n_channels:
            raise ValueError(f"trials[{index}] has {len(trial.probabilities)} channels, the reservoir has "
                             f"{self.n_channels}")
        if max(trial.latencies) + 3 * self.event_width > self.trial_length:
            raise ValueError(f"trials[{index}] has latency {max(trial.latencies)} ms; with event_width "
                             f"{self.event_width} it must end (latency + 3 width) within trial_length "
                             f"{self.trial_length} ms")
        return trial

    def _calibrate(self) -> None:
        """Run one calibration trial (cue, no learning; its own random stream) once, before the first use."""
        if self._feature_power is not None:
            return
        self._start_trial(stream(self.params["seed"], "calibration"))
        rec = self.core.run(self._cue(1.0), np.zeros((self.core.n, self.n_channels)),
                            average_mask=np.ones(self.steps, dtype=np.bool_))
        power = rec.power - float(rec.r_mean @ rec.r_mean)  # mean |r - rbar|^2 over the trial
        if not power > 0.0:
            raise ValueError("the reservoir is silent after the cue (no spikes); raise bias or cue_gain")
        self._offset, self._feature_power = rec.r_mean, power

    @property
    def offset(self) -> np.ndarray:
        """Per-cell baseline subtracted from the features of the "when" readouts (calibration-trial mean)."""
        self._calibrate()
        return self._offset.copy()

    def feature_power(self) -> float:
        """Mean ``|r(t) - offset|^2`` over the calibration trial: the unit of the "when" learning rate."""
        self._calibrate()
        return self._feature_power

    def expectation(self, trial: Trial) -> np.ndarray:
        """The ideal prediction of the trial's block, shape ``(T, K)``."""
        return Block(trial.probabilities, trial.latencies, 1).expectation(self.time, self.event_width)

    # ------------------------------------------------------------------ verbs
    def train(self, trials: Sequence[Trial], *, reset_p_on_switch: bool = False) -> TrainingRecord:
        """Learn from ``trials`` in order (see the module docstring); returns the record.

        Parameters
        ----------
        trials
            From :func:`engramsim.networks.reservoir_task.make_trials`.
        reset_p_on_switch
            FORCE readout only: ``P <- I / lambda`` whenever the block changes.
        """
        checked = [self._check_trial(t, i) for i, t in enumerate(trials)]
        if not checked:
            raise ValueError("trials must not be empty")
        if self.readout == "three-factor":
            self._calibrate()
        k = self.n_channels
        ms = int(round(1.0 / self.dt))
        on_grid = np.arange(self.steps) % ms == 0
        every = max(1, int(round(self.rls_every / self.dt)))
        cue = self._cue(1.0)
        average = self.time >= self.cue_duration
        for trial in checked:
            if (reset_p_on_switch and self.readout == "force" and self.record.block
                    and self.record.block[-1] != trial.block):
                self.p = np.eye(self.core.n) / self.regularizer
            targets = np.zeros((self.steps, k))
            gate = np.zeros((self.steps, k))
            if trial.event >= 0:
                targets[:, trial.event] = bump(self.time, trial.latency, self.event_width)
                window = np.abs(self.time - trial.latency) <= 3 * self.event_width
                gate[:, trial.event] = np.where(window, 1.0, self.gate_outside)
            self._start_trial(self._trial_rng)
            expect = self.expectation(trial)
            if self.readout == "force":
                learn = np.arange(self.steps) % every == 0
                rec = self.core.run(cue, self.decoder, mode="rls", p=self.p, targets=targets, learn=learn)
                output = rec.z
                self.record.what_error.append(float("nan"))
            else:
                learn = on_grid & gate.any(axis=1)
                rec = self.core.run(cue, self.w_when, mode="three-factor", targets=targets, gate=gate, learn=learn,
                                    learning_rate=self.eta_when / self.feature_power(), normalize=False,
                                    tau_eligibility=self.tau_eligibility, average_mask=average,
                                    offset=self._offset)
                what = rec.r_mean @ self.w_what
                output = what[None, :] * rec.z
                identity = np.zeros(k)
                if trial.event >= 0:
                    identity[trial.event] = 1.0
                self.record.what_error.append(float(np.sqrt(np.mean((what - np.array(trial.probabilities)) ** 2))))
                self.w_what = two_factor_update(self.w_what, rec.r_mean, identity - what, self.eta_what,
                                                normalize=True)
            self.record.error.append(float(np.sqrt(np.mean((output - expect) ** 2))))
            self.record.block.append(trial.block)
            self.record.event.append(trial.event)
            self.record.w_what.append(self.w_what.copy())
            self.record.w_when.append((self.decoder if self.readout == "force" else self.w_when).copy())
        return self.record

    def predict(self, cue: float = 1.0) -> Prediction:
        """One test trial with learning off: the cue (scaled by ``cue``) and the readouts."""
        amp = check_float(cue, "cue")
        if self.readout == "three-factor":
            self._calibrate()
        self._start_trial(self._test_rng)
        decoder = self.decoder if self.readout == "force" else self.w_when
        offset = None if self.readout == "force" else self._offset
        rec = self.core.run(self._cue(amp), decoder.copy(), average_mask=self.time >= self.cue_duration,
                            offset=offset)
        if self.readout == "force":
            return Prediction(self.time.copy(), rec.z, rec.z, np.ones(self.n_channels))
        what = rec.r_mean @ self.w_what
        return Prediction(self.time.copy(), what[None, :] * rec.z, rec.z, what)

    def subspace_angles(self) -> np.ndarray:
        """Principal angles (radians, largest first) between the "what" and "when" weight subspaces."""
        from scipy.linalg import subspace_angles

        if not np.any(self.w_what) or not np.any(self.w_when):
            raise ValueError("both readouts must have been trained (non-zero weights) to compare their subspaces")
        return subspace_angles(self.w_what, self.w_when)
