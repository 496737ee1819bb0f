"""The Izhikevich (2003) network of 800 excitatory and 200 inhibitory cells (``net.m``), and its scale-ups.

:func:`izhikevich_2003` builds the published network on the spiking core:

* excitatory cells ``a = 0.02, b = 0.2, c = -65 + 15 r^2, d = 8 - 6 r^2``;
  inhibitory cells ``a = 0.02 + 0.08 r, b = 0.25 - 0.05 r, c = -65, d = 2``
  (one ``r ~ U[0, 1]`` per cell);
* weights ``S[post, pre]``: ``0.5 U[0, 1]`` from excitatory cells,
  ``-U[0, 1]`` from inhibitory ones (all-to-all with autapses when
  ``connection_probability = 1``; otherwise each synapse exists with that
  probability and weights are not rescaled, so ``N = 10000, p = 0.1`` keeps
  the in-degree of the dense network).  The uniforms are drawn in single
  precision (24-bit resolution, against MATLAB's 53), so every weight is
  exactly a ``float32`` number and the engine stores the synaptic rows in
  4 bytes per weight without loss; arithmetic stays in double precision;
* thalamic input drawn fresh each 1 ms step: ``5 N(0, 1)`` into excitatory and
  ``2 N(0, 1)`` into inhibitory cells (model units; ``0.005`` and ``0.002`` nA),
  generated inside the simulation loop by the engine's counter-based
  generator (see :class:`~engramsim.sim.spiking.NoisyCurrentSource`);
* ``v = -65``, ``u = b v`` at the start; the half-step integration scheme;
  1 ms delays, which is how the program lets a spike act on the next step.

Spike times are stamped at the step in which a cell crossed 30 mV; the
published program records the same spike one step later (it detects it at
the start of the next step).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from engramsim.sim.random import stream
from engramsim.sim.spiking import (
    ArrayCurrentSource,
    Dense,
    FixedProbability,
    Izhikevich,
    Network,
    NoisyCurrentSource,
    Population,
    Projection,
    SpikeMonitor,
    StaticSynapse,
)
from engramsim.sim.validation import (
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_real_array,
)

#: noise standard deviations of the published program (model units, i.e. pA into a 1 pF cell)
NOISE_EXC, NOISE_INH = 5.0, 2.0
#: 800 of 1000 cells are excitatory in the paper
EXCITATORY_FRACTION = 0.8


@dataclass
class Izhikevich2003:
    """A built Izhikevich 2003 network.

    Attributes
    ----------
    network : Network
    exc, inh : Population
        The excitatory (first ``n_exc`` cells) and inhibitory populations.
    spikes_exc, spikes_inh : SpikeMonitor
    params : dict
        How it was built (sizes, probability, seed, backend, scheme).
    """

    network: Network
    exc: Population
    inh: Population
    spikes_exc: SpikeMonitor
    spikes_inh: SpikeMonitor
    params: dict[str, Any]

    def run(self, duration: float = 1000.0) -> "Izhikevich2003":
        """Run for ``duration`` ms (continuing from where the last run stopped)."""
        self.network.run(duration)
        return self

    def spikes(self) -> tuple[np.ndarray, np.ndarray]:
        """All spikes as (times in ms, global neuron index with excitatory cells first), sorted by time."""
        n_exc = self.exc.size
        t = np.concatenate([self.spikes_exc.times, self.spikes_inh.times])
        i = np.concatenate([self.spikes_exc.neurons, self.spikes_inh.neurons + n_exc])
        order = np.lexsort((i, t))
        return t[order], i[order]


def izhikevich_2003(
    n_neurons: int = 1000,
    connection_probability: float = 1.0,
    *,
    excitatory_fraction: float = EXCITATORY_FRACTION,
    seed: int | None = 0,
    backend: str = "auto",
    dt: float = 1.0,
    scheme: str = "izhikevich2003",
    weights: Any = None,
    noise: Any = None,
    record_v: bool = False,
) -> Izhikevich2003:
    """Build the published network (``net.m``) or a sparse scale-up of it.

    Parameters
    ----------
    n_neurons
        Total cells; ``round(excitatory_fraction * n_neurons)`` are excitatory.
    connection_probability
        1.0: the published all-to-all network (autapses included, dense
        storage); below 1: each synapse exists with this probability.
    excitatory_fraction
        Fraction of excitatory cells (0.8 in the paper).
    seed
        Seed of the named streams for cell parameters (``"cells"``), weights
        (``"weights"``), connectivity and noise.
    backend
        ``"numpy"``, ``"numba"`` or ``"auto"``.
    dt
        Time step (ms).  The published dynamics hold only at 1 ms (the noise
        is drawn per step and not scaled); other values warn.
    scheme
        ``"izhikevich2003"`` (published) or ``"euler"``.
    weights
        Optional ``(N, N)`` matrix ``S[post, pre]`` replacing the drawn weights
        (dense, all-to-all; signs as in the paper: negative columns for
        inhibitory cells).
    noise
        Optional ``(steps, N)`` array of thalamic input in model units
        (replacing the drawn noise; a run may not go past its last row).
    record_v
        Also record ``v`` and ``u`` of every cell.
    """
    record_v = check_bool(record_v, "record_v")
    n = check_int(n_neurons, "n_neurons", minimum=2)
    p = check_float(connection_probability, "connection_probability", 0.0, 1.0)
    frac = check_float(excitatory_fraction, "excitatory_fraction", 0.0, 1.0)
    check_choice(scheme, "scheme", Izhikevich.SCHEMES)
    dt = check_float(dt, "dt", 0.0, strict_minimum=True)
    if dt != 1.0:
        warnings.warn(f"the Izhikevich 2003 network is defined at dt = 1 ms; dt = {dt} ms changes its "
                      f"dynamics (noise is drawn per step and not scaled)", stacklevel=2)
    n_exc = int(round(frac * n))
    n_inh = n - n_exc
    if n_exc < 1 or n_inh < 1:
        raise ValueError(f"excitatory_fraction must leave at least one cell of each kind, got {frac} of {n}")

    cells = stream(seed, "cells")
    re, ri = cells.random(n_exc), cells.random(n_inh)
    exc = Population(n_exc, Izhikevich(scheme=scheme, a=0.02, b=0.2, c=-65.0 + 15.0 * re ** 2,
                                       d=8.0 - 6.0 * re ** 2), label="exc")
    inh = Population(n_inh, Izhikevich(scheme=scheme, a=0.02 + 0.08 * ri, b=0.25 - 0.05 * ri, c=-65.0, d=2.0),
                     label="inh")
    for pop in (exc, inh):
        b = pop.celltype.per_neuron("b", pop.size)
        pop.initialize(v=-65.0, u=b * -65.0)

    if noise is None:
        exc.inject(NoisyCurrentSource(0.0, NOISE_EXC / 1000.0, seed=stream(seed, "noise:exc")))
        inh.inject(NoisyCurrentSource(0.0, NOISE_INH / 1000.0, seed=stream(seed, "noise:inh")))
    else:
        x = check_real_array(noise, "noise", ndim=2, shape=(None, n))
        exc.inject(ArrayCurrentSource(x[:, :n_exc] / 1000.0))
        inh.inject(ArrayCurrentSource(x[:, n_exc:] / 1000.0))

    net = Network(dt=dt, seed=seed, backend=backend)
    if weights is not None:
        s = check_real_array(weights, "weights", ndim=2, shape=(n, n))
        if p != 1.0:
            raise ValueError(f"weights replace the all-to-all network; connection_probability must be 1.0, got {p}")
        blocks = {(exc, exc): s[:n_exc, :n_exc].T, (exc, inh): s[n_exc:, :n_exc].T,
                  (inh, exc): -s[:n_exc, n_exc:].T, (inh, inh): -s[n_exc:, n_exc:].T}
        for (pre, post), mat in blocks.items():
            net.add(Projection(pre, post, Dense(mat), StaticSynapse(delay=dt),
                               receptor_type="excitatory" if pre is exc else "inhibitory",
                               label=f"{pre.label}->{post.label}"))
    else:
        w_rng = stream(seed, "weights")
        for pre, scale in ((exc, 0.5), (inh, 1.0)):
            for post in (exc, inh):
                label = f"{pre.label}->{post.label}"
                # float32 uniforms times a power of two: every weight is exact in 4 bytes
                if p == 1.0:
                    mat = scale * w_rng.random((post.size, pre.size), dtype=np.float32).T
                    conn, syn = Dense(mat), StaticSynapse(delay=dt)
                else:
                    conn = FixedProbability(p, seed=stream(seed, f"connectivity:{label}"))
                    syn = StaticSynapse(weight=lambda k, s=scale: s * w_rng.random(k, dtype=np.float32), delay=dt)
                net.add(Projection(pre, post, conn, syn,
                                   receptor_type="excitatory" if pre is exc else "inhibitory", label=label))
    spikes_exc = exc.record("spikes")
    spikes_inh = inh.record("spikes")
    if record_v:
        exc.record(["v", "u"])
        inh.record(["v", "u"])
    params = dict(n_neurons=n, n_exc=n_exc, n_inh=n_inh, connection_probability=p, seed=seed,
                  backend=net.backend.name, scheme=scheme, dt=dt)
    return Izhikevich2003(net, exc, inh, spikes_exc, spikes_inh, params)


__all__ = ["Izhikevich2003", "izhikevich_2003"]
