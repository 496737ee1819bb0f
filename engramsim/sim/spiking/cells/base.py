"""What a cell type declares, in one place, so that the engine, the monitors and the exporters learn it from it.

A cell type is a class with PyNN's name (``IF_curr_exp``, ``Izhikevich``,
...) that declares:

``parameters``
    PyNN name -> :class:`Parameter` (default, units, meaning, bound).
``state``
    state variable -> :class:`StateVariable` (initial value or the parameter
    it starts from, units, whether a monitor can record it).
``schemes``
    the update schemes it offers; the first is the default.
``receptors``
    ``("excitatory", "inhibitory")`` for cells with one input channel per
    receptor (the engine's ring buffer has one channel each), or
    ``("excitatory",)`` for cells whose inhibitory weights arrive negated on
    the one channel (voltage-jump synapses).
``current_scale``
    model current per nA of injected current.
``kernel``
    a :class:`StepKernel`: the name of the NumPy reference step and of the
    Python source of its compiled twin, both in the cell type's own module,
    and the number and meaning of the rows of its kernel parameters.

The step functions of every cell type have one signature, so the engine's
loop calls them without knowing which cell it steps::

    step(state, par, syn_e, syn_i, inj, dt, fired) -> None

``state`` (n_state, n) float64 and ``par`` (n_par, n) float64 are the
population's state rows (in the order of ``state``) and kernel parameters
(:meth:`CellType.kernel_parameters`); ``syn_e`` and ``syn_i`` the weights
arriving this step on the two channels (``syn_i`` is the excitatory channel
again for one-channel cells); ``inj`` the injected current (model units);
``fired`` is set to whether each cell spiked.  State is updated in place.
Integer state (refractory counters) is held as float64, which is exact for
the integers involved.

Spike sources (``is_source = True``) have no step: the engine asks them for
their spikes through :meth:`CellType.emitter`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from engramsim.errors import ValidationError
from engramsim.sim.backends import KernelSpec
from engramsim.sim.validation import check_choice, check_float, check_real_array

__all__ = ["CellType", "Parameter", "StateVariable", "StepKernel", "check_parameter"]


@dataclass(frozen=True)
class Parameter:
    """A cell parameter: default value, units (PyNN's: ms, mV, nA, nF, Hz) and meaning.

    ``bound`` is ``"positive"`` (> 0), ``"non_negative"`` (>= 0) or ``None``.
    """

    default: float
    units: str
    doc: str = ""
    bound: str | None = None


@dataclass(frozen=True)
class StateVariable:
    """A state variable: its initial value (a number, or the name of the parameter it starts at) and units."""

    initial: float | str
    units: str
    doc: str = ""
    recordable: bool = True


@dataclass(frozen=True)
class StepKernel:
    """Where a cell type's step kernels are, and what its kernel parameter rows mean.

    Parameters
    ----------
    module
        Module holding both functions.
    numpy
        Name of the NumPy reference step (vectorised; written against an
        array namespace so that it also runs on CuPy arrays).
    numba
        Name of the plain-Python loop version that the Numba backend compiles
        (with the signature above); ``None`` when there is none.
    rows
        Names of the rows of the kernel parameters, for documentation and
        error messages.
    """

    module: str
    numpy: str
    numba: str | None
    rows: tuple[str, ...]

    @property
    def spec(self) -> KernelSpec:
        """The kernel as the backends know it (the Numba twin compiled with the common step signature)."""
        sources = {"numpy": f"{self.module}:{self.numpy}"}
        if self.numba is not None:
            sources["numba"] = f"{self.module}:{self.numba}"
        return KernelSpec(f"{self.module}.step", sources, xp_generic=True,
                          compilers={"numba": "engramsim.sim.spiking.kernels_numba:compile_step"})


def check_parameter(value: Any, name: str) -> Any:
    """A parameter value: a finite real scalar (returned as float) or a finite 1-D array (a fresh copy)."""
    if np.ndim(value) == 0:
        return check_float(value, name)
    return check_real_array(value, name, ndim=1)


def _show(value: np.ndarray) -> str:
    return repr(float(value)) if value.ndim == 0 else f"an array with minimum {float(value.min())!r}"


class CellType:
    """Base class of cell types: named parameters with defaults, units and bounds; state; schemes; kernels.

    Parameters
    ----------
    scheme
        One of the class's ``schemes`` (default: the first).
    **parameters
        Values overriding the defaults (a scalar, or one value per cell);
        unknown names are an error.
    """

    parameters_spec: ClassVar[dict[str, Parameter]] = {}
    state_spec: ClassVar[dict[str, StateVariable]] = {}
    schemes: ClassVar[tuple[str, ...]] = ()
    receptors: ClassVar[tuple[str, ...]] = ("excitatory", "inhibitory")
    current_scale: ClassVar[float] = 1.0
    kernel: ClassVar[StepKernel | None] = None
    is_source: ClassVar[bool] = False

    # derived views of the declarations (PyNN's attribute names)
    default_parameters: ClassVar[dict[str, float]] = {}
    default_initial_values: ClassVar[dict[str, float | str]] = {}
    units: ClassVar[dict[str, str]] = {}
    recordable: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.default_parameters = {k: p.default for k, p in cls.parameters_spec.items()}
        cls.default_initial_values = {k: s.initial for k, s in cls.state_spec.items()}
        cls.units = {**{k: p.units for k, p in cls.parameters_spec.items()},
                     **{k: s.units for k, s in cls.state_spec.items()}}
        cls.recordable = tuple(k for k, s in cls.state_spec.items() if s.recordable)

    def __init__(self, scheme: str | None = None, **parameters: Any):
        name = type(self).__name__
        if scheme is not None or self.schemes:
            self.scheme = check_choice(self.schemes[0] if scheme is None else scheme, "scheme", self.schemes)
        self.parameters: dict[str, Any] = dict(self.default_parameters)
        self._set_parameters(parameters)

    def _set_parameters(self, changes: dict[str, Any]) -> None:
        """Check ``changes`` (known names, finite values, declared bounds) and store them in ``parameters``."""
        name = type(self).__name__
        unknown = sorted(set(changes) - set(self.parameters_spec))
        if unknown:
            raise ValidationError(f"{name} has no parameter(s) {unknown}; its parameters are {sorted(self.parameters_spec)}")
        for key, value in changes.items():
            arr = np.asarray(check_parameter(value, f"{name}.{key}"))
            bound = self.parameters_spec[key].bound
            if bound == "positive" and np.any(arr <= 0):
                raise ValidationError(f"{name}.{key} must be > 0, got {_show(arr)}")
            if bound == "non_negative" and np.any(arr < 0):
                raise ValidationError(f"{name}.{key} must be >= 0, got {_show(arr)}")
            self.parameters[key] = float(arr) if arr.ndim == 0 else arr

    def updated(self, **changes: Any) -> "CellType":
        """A copy with some parameters changed (validated like the constructor's)."""
        import copy

        new = copy.copy(self)
        new.parameters = dict(self.parameters)
        new._set_parameters(changes)
        return new

    @property
    def pynn_name(self) -> str:
        """PyNN's name of this cell type (the class name)."""
        return type(self).__name__

    @property
    def n_channels(self) -> int:
        """Input channels the cell reads from the ring buffer (2: one per receptor)."""
        return len(self.receptors)

    def per_neuron(self, name: str, size: int) -> np.ndarray:
        """Parameter ``name`` as a float64 array of length ``size`` (a fresh copy)."""
        value = np.asarray(self.parameters[name], dtype=np.float64)
        if value.ndim == 0:
            return np.full(size, float(value))
        if value.shape != (size,):
            raise ValidationError(
                f"{type(self).__name__}.{name} must be a scalar or have shape ({size},) "
                f"(the population size), got an array of shape {value.shape}"
            )
        return value.copy()

    def check_size(self, size: int) -> None:
        """Raise ValueError when an array parameter does not have ``size`` entries."""
        for name in self.parameters_spec:
            self.per_neuron(name, size)

    def initial_value(self, name: str, size: int) -> np.ndarray:
        """The default initial value of state variable ``name`` per cell (a fresh array)."""
        start = self.state_spec[name].initial
        if isinstance(start, str):
            return self.per_neuron(start, size)
        return np.full(size, float(start))

    def kernel_parameters(self, size: int, dt: float) -> np.ndarray:
        """The (n_par, size) float64 rows the step kernel reads (see ``kernel.rows``)."""
        raise NotImplementedError(f"{type(self).__name__} has no step kernel")

    def emitter(self, population: Any, dt: float, network_seed: Any) -> Any:
        """For spike sources: an object whose ``events(first, n_steps)`` gives ``(steps, cells)`` arrays."""
        raise NotImplementedError(f"{type(self).__name__} is not a spike source")

    def __repr__(self) -> str:
        shown = {k: (v if np.ndim(v) == 0 else f"array{np.shape(v)}") for k, v in self.parameters.items()}
        return f"{type(self).__name__}({', '.join(f'{k}={v}' for k, v in shown.items())})"
