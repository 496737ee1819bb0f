"""Populations, projections and the network that runs them (PyNN's vocabulary).

::

    net = Network(dt=1.0, seed=0, backend="numba")
    src = Population(2, SpikeSourceArray(spike_times=[[1.0, 5.0], [3.0]]), label="in")
    cells = Population(10, IF_curr_exp(tau_m=10.0), label="cells")
    net.add(Projection(src, cells, AllToAll(), StaticSynapse(weight=1.5, delay=2.0)))
    spikes = cells.record("spikes")
    net.run(100.0)
    spikes.to_xarray()

Time is clock-driven with a fixed step ``dt`` (ms).  Within step ``k`` (time
``k*dt``) every cell first takes in the input arriving at that step, then
updates, and crosses threshold; its spike is stamped ``k*dt`` (sPyNNaker's and
Brian2's convention; NEST stamps the end of the step, ``(k+1)*dt``) and
reaches a target ``delay`` steps later (``delay >= 1``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from engramsim.errors import ValidationError, ValidationTypeError
from engramsim.sim.backends import KernelSpec
from engramsim.sim.persist import Persistent
from engramsim.sim.random import check_seed, stream
from engramsim.sim.spiking.currents import NoisyCurrentSource
from engramsim.sim.spiking.population import Population
from engramsim.sim.spiking.projection import (  # noqa: F401 (the names scripts import from here)
    DENSE_THRESHOLD,
    MAX_DELAY_STEPS,
    Projection,
    StaticSynapse,
    delay_steps,
)
from engramsim.sim.validation import check_bounded, check_float

__all__ = ["DENSE_THRESHOLD", "MAX_DELAY_STEPS", "SPIKING_CHUNK", "Network", "Population", "Projection",
           "StaticSynapse", "whole_steps"]

#: the engine's loop over a block of steps (NumPy reference written against the array namespace, Numba twin)
SPIKING_CHUNK = KernelSpec("spiking_chunk", {"numpy": "engramsim.sim.spiking.kernels_numpy:spiking_chunk",
                                             "numba": "engramsim.sim.spiking.kernels_numba:spiking_chunk"},
                           xp_generic=True)


def whole_steps(duration: Any, dt: float) -> int:
    """``duration`` (ms, checked) as a whole number of steps of ``dt``, bounded by the ``max_steps`` limit.

    The bound is checked before anything is built or run: a tiny ``dt`` or a huge duration would otherwise run
    for ages.
    """
    duration = check_float(duration, "duration", 0.0)
    n_steps = duration / dt
    check_bounded(math.ceil(n_steps), f"duration / dt = {duration} ms / {dt} ms", "max_steps")
    if abs(n_steps - round(n_steps)) > 1e-9 * max(1.0, n_steps):
        raise ValidationError(f"duration must be a whole number of time steps (dt = {dt} ms), got {duration}")
    return int(round(n_steps))


class Network(Persistent):
    """A set of populations, projections and monitors that run together.

    Parameters
    ----------
    *objects
        Populations, projections and monitors to add at once.
    dt
        Time step (ms).
    seed
        Seed of the named streams used by connectors, Poisson sources and
        noise currents that have no seed of their own.
    backend
        ``"numpy"`` (reference), ``"numba"``, ``"cupy"`` or ``"auto"``.
    """

    def __init__(self, *objects: Any, dt: float = 1.0, seed: Any = None, backend: str = "auto"):
        from engramsim.sim.backends import get_backend

        self.dt = check_float(dt, "dt", 0.0, strict_minimum=True)
        check_seed(seed)
        self.seed = seed
        self.backend = get_backend(backend, kernels=(SPIKING_CHUNK,))
        self.populations: list[Population] = []
        self.projections: list[Projection] = []
        self.monitors: list[Any] = []
        self.engine = None
        self.add(*objects)

    @property
    def built(self) -> bool:
        """True once the network has run (its structure is then fixed)."""
        return self.engine is not None

    @property
    def t(self) -> float:
        """Model time reached (ms)."""
        return 0.0 if self.engine is None else self.engine.step * self.dt

    def add(self, *objects: Any) -> "Network":
        """Add populations, projections (with their populations) and monitors."""
        from engramsim.sim.spiking.monitors import Monitor

        for obj in objects:
            if self.built:
                raise RuntimeError("cannot add to a network that has already run")
            if isinstance(obj, Population):
                if obj.network is self:
                    continue
                _release_from_default(obj)
                if obj.network is not None:
                    raise ValidationError(f"{obj!r} already belongs to another network")
                obj.network = self
                if obj.label is None:
                    obj.label = f"population{len(self.populations)}"
                if any(p.label == obj.label for p in self.populations):
                    raise ValidationError(f"a population labelled {obj.label!r} is already in the network")
                self.populations.append(obj)
                self.add(*obj.monitors)
            elif isinstance(obj, Projection):
                if obj.network is self:
                    continue
                _release_from_default(obj)
                self.add(obj.pre, obj.post)
                obj.network = self
                if obj.label is None:
                    obj.label = f"projection{len(self.projections)}"
                if obj.synapse_type.delay is not None:
                    delay_steps(obj.synapse_type.delay, self.dt, 1)
                self.projections.append(obj)
            elif isinstance(obj, Monitor):
                if obj not in self.monitors:
                    self.add(obj.population)
                    self.monitors.append(obj)
            else:
                raise ValidationTypeError(f"cannot add {type(obj).__name__} to a Network; "
                                f"add Populations, Projections or monitors")
        return self

    def build(self) -> None:
        """Draw connections, lay out state and compile the kernels (done by the first run)."""
        from engramsim.sim.spiking.engine import Engine

        if self.built:
            return
        for pop in self.populations:
            for k, src in enumerate(pop.current_sources):
                if isinstance(src, NoisyCurrentSource) and src._key is None:
                    src.bind(stream(self.seed, f"noise:{pop.label}:{k}"))
        for proj in self.projections:
            proj.build(stream(self.seed, f"connector:{proj.label}"), self.dt)
        self.engine = Engine(self)
        if getattr(self, "_resume", None) is not None:  # loaded from a file: continue where it was saved
            self.engine.restore(self._resume)
            self._resume = None
        self.engine.compile()

    def run(self, duration: float) -> "Network":
        """Advance the network by ``duration`` ms (a whole number of steps)."""
        n_steps = whole_steps(duration, self.dt)
        self.build()
        self.engine.run(n_steps)
        return self

    _TRANSIENT = ("engine",)

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state["_resume"] = self.engine.snapshot() if self.engine is not None else getattr(self, "_resume", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self.engine = None

    def reset(self) -> None:
        """Back to time 0 (PyNN's ``reset``): cells to their initial values, recordings cleared.

        Connections are kept, and so are the weights of plastic projections
        as they are now (every pairing so far applied).
        """
        if self.engine is None:
            return
        for proj in self.projections:
            proj.weights = self.engine.weights_of(proj)
        for m in self.monitors:
            m.clear()
        self.engine = None

    def current_weights(self, projection: Projection, include_pending: bool = True) -> np.ndarray:
        """Weights of ``projection`` per connection, as they are now (see :meth:`Projection.get_weights`)."""
        if self.engine is None:
            return projection.weights.copy()
        return self.engine.weights_of(projection, include_pending=include_pending)

    @property
    def size(self) -> int:
        """Total number of cells."""
        return sum(p.size for p in self.populations)

    def __repr__(self) -> str:
        return (f"Network({len(self.populations)} populations, {len(self.projections)} projections, "
                f"dt={self.dt}, backend={self.backend.name!r})")



def _release_from_default(obj: Any) -> None:
    """Take ``obj`` out of the (unbuilt) default network, so that an explicit network can own it."""
    from engramsim.sim.spiking.simulator import current_network

    net = current_network()
    if net is None or obj.network is not net or net.built:
        return
    if isinstance(obj, Population):
        if any(p.pre is obj or p.post is obj for p in net.projections):
            return
        net.populations.remove(obj)
        for m in obj.monitors:
            if m in net.monitors:
                net.monitors.remove(m)
    else:
        net.projections.remove(obj)
    obj.network = None
