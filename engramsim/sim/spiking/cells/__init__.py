"""Cell types, one module each: declarations, NumPy reference step and the loop its Numba twin compiles.

Adding a cell type is adding one module here (see :mod:`engramsim.sim.spiking.cells.base`
for what it declares and :mod:`engramsim.sim.spiking.cells.if_curr_exp` for an
example); :func:`cell_types` finds it.
"""

import importlib
import pkgutil

from engramsim.sim.spiking.cells.base import CellType, Parameter, StateVariable, StepKernel
from engramsim.sim.spiking.cells.if_curr_exp import IF_curr_exp
from engramsim.sim.spiking.cells.izhikevich import IZHIKEVICH_CURRENT_SCALE, Izhikevich
from engramsim.sim.spiking.cells.sources import SpikeSourceArray, SpikeSourcePoisson



def cell_types() -> dict[str, type[CellType]]:
    """Every cell type of this package, by PyNN name (imports each module of the package)."""
    found: dict[str, type[CellType]] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, CellType) and obj is not CellType:
                found[obj.__name__] = obj
    return dict(sorted(found.items()))


__all__ = ["CellType", "cell_types", "IF_curr_exp", "IZHIKEVICH_CURRENT_SCALE", "Izhikevich", "Parameter",
           "SpikeSourceArray", "SpikeSourcePoisson", "StateVariable", "StepKernel"]

