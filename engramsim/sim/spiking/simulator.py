"""PyNN's module-level functions over a default network: ``setup``, ``run``, ``reset``, ``end``.

After :func:`setup`, every :class:`~engramsim.sim.spiking.network.Population`
and :class:`~engramsim.sim.spiking.network.Projection` made joins the default
network, as in a PyNN simulator module, until :func:`end`.  Explicit
:class:`~engramsim.sim.spiking.network.Network` objects work as before and
need no setup.
"""

from __future__ import annotations

from typing import Any

__all__ = ["current_network", "end", "get_current_time", "get_time_step", "reset", "run", "setup"]

_DEFAULT: dict[str, Any] = {"network": None}


def setup(timestep: float = 0.1, min_delay: Any = "auto", max_delay: Any = None, *, seed: Any = None,
          backend: str = "auto", **extra: Any) -> int:
    """Start a fresh default network with time step ``timestep`` (ms), as PyNN's ``setup``.

    Parameters
    ----------
    timestep
        The time step (ms).
    min_delay, max_delay
        Accepted for PyNN compatibility; delays are checked per projection
        (a whole number of steps, at most ``MAX_DELAY_STEPS``).
    seed
        Seed of the default network's random streams.
    backend
        ``"numpy"``, ``"numba"``, ``"cupy"`` or ``"auto"``.
    **extra
        Simulator-specific options of other PyNN back-ends are accepted and ignored.

    Returns
    -------
    int
        0 (PyNN returns the MPI rank).
    """
    from engramsim.sim.spiking.network import Network

    _DEFAULT["network"] = Network(dt=timestep, seed=seed, backend=backend)
    return 0


def current_network() -> Any:
    """The default network made by :func:`setup` (``None`` before it, or after :func:`end`)."""
    return _DEFAULT["network"]


def _network() -> Any:
    net = _DEFAULT["network"]
    if net is None:
        raise RuntimeError("call setup() first (or build an explicit Network)")
    return net


def run(simtime: float) -> float:
    """Advance the default network by ``simtime`` ms; return the time reached (ms)."""
    net = _network()
    net.run(simtime)
    return net.t


def reset() -> None:
    """Back to time 0: state to its initial values and recordings cleared; connections and learned weights kept."""
    _network().reset()


def end() -> None:
    """Forget the default network (PyNN's ``end``)."""
    _DEFAULT["network"] = None


def get_current_time() -> float:
    """Model time reached by the default network (ms)."""
    return _network().t


def get_time_step() -> float:
    """The default network's time step (ms)."""
    return _network().dt
