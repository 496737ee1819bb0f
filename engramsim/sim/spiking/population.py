"""Populations: cells of one cell type, their initial values, injected currents and recordings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from engramsim.errors import ValidationError, ValidationTypeError
from engramsim.sim.spiking.cells.base import CellType
from engramsim.sim.spiking.currents import CurrentSource
from engramsim.sim.validation import check_int, check_real_array

__all__ = ["Population", "join_default"]


class Population:
    """``size`` cells of one cell type.

    Parameters
    ----------
    size
        Number of cells (>= 1).
    celltype
        A :class:`~engramsim.sim.spiking.celltypes.CellType` instance.
    label
        Name used in recordings and random streams (default: given by the network).
    initial_values
        State variables at the start, e.g. ``{"v": -65.0}`` (scalar or per cell).
    """

    def __init__(self, size: int, celltype: CellType, label: str | None = None,
                 initial_values: dict[str, Any] | None = None):
        self.size = check_int(size, "size", minimum=1)
        if not isinstance(celltype, CellType):
            raise ValidationTypeError(f"celltype must be a CellType instance such as IF_curr_exp(), got {celltype!r}")
        celltype.check_size(self.size)
        if label is not None and not isinstance(label, str):
            raise ValidationTypeError(f"label must be a str, got {type(label).__name__}")
        self.celltype = celltype
        self.label = label
        self.initial_values: dict[str, np.ndarray] = {}
        self.current_sources: list[CurrentSource] = []
        self.monitors: list[Any] = []
        self.network: Any = None
        self.first_index = -1  # global index of cell 0, set by the network
        self.initialize(**(initial_values or {}))
        join_default(self)

    def initialize(self, **values: Any) -> None:
        """Set initial values of state variables (before the first run)."""
        if self.network is not None and self.network.built:
            raise RuntimeError("initialize() must be called before the network first runs")
        allowed = set(self.celltype.default_initial_values)
        for name, value in values.items():
            if name not in allowed:
                raise ValidationError(f"{type(self.celltype).__name__} has no state variable {name!r}; "
                                 f"its state variables are {sorted(allowed)}")
            arr = check_real_array(value, name, ndim=(0, 1))
            if arr.ndim == 1 and arr.shape != (self.size,):
                raise ValidationError(f"initial {name} must be a scalar or have shape ({self.size},), got {arr.shape}")
            self.initial_values[name] = np.broadcast_to(arr, (self.size,)).copy()

    def initial(self, name: str) -> np.ndarray:
        """The initial value of state variable ``name`` per cell (a fresh array)."""
        if name in self.initial_values:
            return self.initial_values[name].copy()
        return self.celltype.initial_value(name, self.size)

    def set(self, **parameters: Any) -> None:
        """Change cell parameters, as PyNN's ``Population.set`` (e.g. ``spike_times`` of a spike source).

        Before the first run this changes the cell type; after it, the new
        values take effect from the network's current time on: a spike
        source fires at its new times that are still ahead, a cell steps with
        its new parameters.  State variables are set with :meth:`initialize`.
        """
        new = self.celltype.updated(**parameters)
        new.check_size(self.size)
        self.celltype = new
        if self.network is not None and self.network.built:
            self.network.engine.update_population(self)

    def inject(self, source: CurrentSource) -> None:
        """Inject a current source (nA) into every cell of this population."""
        if not isinstance(source, CurrentSource):
            raise ValidationTypeError(f"source must be a CurrentSource (DCSource, NoisyCurrentSource, "
                            f"ArrayCurrentSource), got {source!r}")
        if self.celltype.is_source:
            raise ValidationTypeError(f"cannot inject a current into a spike source ({type(self.celltype).__name__})")
        if self.network is not None and self.network.built:
            raise RuntimeError("inject() must be called before the network first runs")
        self.current_sources.append(source)

    def record(self, variables: str | Sequence[str], indices: Any = None):
        """Record ``"spikes"`` and/or state variables; return the monitor (or a list of them).

        Parameters
        ----------
        variables
            ``"spikes"``, a state variable (``"v"``, ...), or a list of these.
        indices
            Cells whose state is recorded (default: all).  Spikes are always
            recorded for all cells.
        """
        from engramsim.sim.spiking.monitors import SpikeMonitor, StateMonitor

        names = [variables] if isinstance(variables, str) else list(variables)
        monitors = []
        state = [n for n in names if n != "spikes"]
        if "spikes" in names:
            monitors.append(SpikeMonitor(self))
        if state:
            monitors.append(StateMonitor(self, state, indices))
        if self.network is not None:
            self.network.add(*monitors)
        return monitors[0] if len(monitors) == 1 else monitors

    def get_data(self, variables: str | Sequence[str] = "all"):
        """What this population recorded, as a :class:`neo.Block` (PyNN's ``Population.get_data``).

        Parameters
        ----------
        variables
            ``"all"`` (default), ``"spikes"``, a state variable, or a list of these.
        """
        from engramsim.sim.spiking.monitors import to_neo

        names = None if variables == "all" else ([variables] if isinstance(variables, str) else list(variables))
        chosen = []
        for m in self.monitors:
            recorded = ["spikes"] if m.kind == "spikes" else list(m.variables)
            if names is None or any(n in names for n in recorded):
                chosen.append(m)
        return to_neo(chosen, name=self.label)

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        return f"Population({self.size}, {type(self.celltype).__name__}, label={self.label!r})"



def join_default(obj: Any) -> None:
    """Add a new population or projection to the default network of :func:`~engramsim.sim.spiking.setup`."""
    from engramsim.sim.spiking.simulator import current_network

    net = current_network()
    if net is not None and not net.built:
        net.add(obj)
