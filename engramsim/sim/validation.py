"""Input checks that give one clear error naming the argument.

Each check raises :class:`~engramsim.errors.ValidationError` (a ``ValueError``;
:class:`~engramsim.errors.ValidationTypeError`, also a ``TypeError``, for a wrong type) with a message
that names the argument, says what was expected and what was given.  Array
checks return a fresh array, so callers never hold (or modify) the caller's
memory.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from engramsim.errors import ValidationError, ValidationTypeError


def _describe(array: np.ndarray) -> str:
    return f"an array of shape {array.shape} and dtype {array.dtype}"


def check_int(value: Any, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as an int, checking its type and range.

    Integral floats (``3.0``) are accepted; booleans, strings, fractional,
    NaN and infinite values are refused.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        if isinstance(value, (float, np.floating)) and math.isfinite(value) and float(value).is_integer():
            value = int(value)
        else:
            raise ValidationTypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValidationError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValidationError(f"{name} must be <= {maximum}, got {value}")
    return value


def check_float(
    value: Any,
    name: str,
    minimum: float | None = None,
    maximum: float | None = None,
    *,
    strict_minimum: bool = False,
) -> float:
    """Return ``value`` as a finite float, checking its type and range."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValidationTypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    try:
        value = float(value)
    except OverflowError:
        raise ValidationError(f"{name} must be finite (within the float64 range), got {value!r}") from None
    if not np.isfinite(value):
        raise ValidationError(f"{name} must be finite, got {value}")
    if minimum is not None:
        if strict_minimum and value <= minimum:
            raise ValidationError(f"{name} must be > {minimum}, got {value}")
        if value < minimum:
            raise ValidationError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValidationError(f"{name} must be <= {maximum}, got {value}")
    return value


def check_choice(value: Any, name: str, choices: Iterable[Any]) -> Any:
    """Check that ``value`` is one of ``choices``."""
    choices = tuple(choices)
    if not any(type(value) is not bool and isinstance(value, type(c)) and value == c for c in choices):
        raise ValidationError(f"{name} must be one of {choices}, got {value!r}")
    return value


def check_real_array(
    array: Any,
    name: str,
    *,
    ndim: int | tuple[int, ...] | None = None,
    shape: tuple[int | None, ...] | None = None,
    dtype: Any = np.float64,
    allow_empty: bool = False,
) -> np.ndarray:
    """Return a finite real copy of ``array`` with the given dimensions.

    Parameters
    ----------
    array
        Anything :func:`numpy.asarray` accepts.
    name
        The argument's name, used in error messages.
    ndim
        Allowed number(s) of dimensions.
    shape
        Expected shape; ``None`` entries match any length.
    dtype
        dtype of the returned copy.
    allow_empty
        Accept arrays with a zero-length axis.
    """
    try:
        arr = np.asarray(array)
    except Exception as exc:  # ragged lists and the like
        raise ValidationTypeError(f"{name} must be array-like of numbers, got {type(array).__name__}: {exc}") from None
    if arr.dtype == bool or arr.dtype.kind not in "iuf":
        raise ValidationTypeError(f"{name} must hold real numbers, got {_describe(arr)}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValidationError(f"{name} must be {want}, got {_describe(arr)}")
    if shape is not None:
        if arr.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, arr.shape)):
            want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
            raise ValidationError(f"{name} must have shape {want}, got {_describe(arr)}")
    if arr.size == 0 and not allow_empty:
        raise ValidationError(f"{name} must not be empty, got {_describe(arr)}")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise ValidationError(f"{name} must be finite, but it holds NaN or inf")
    return np.array(arr, dtype=dtype, copy=True)


def check_alphabet_array(
    array: Any,
    name: str,
    alphabet: tuple[int, ...] = (-1, 1),
    *,
    ndim: int | tuple[int, ...] | None = None,
    shape: tuple[int | None, ...] | None = None,
    dtype: Any = np.int8,
) -> np.ndarray:
    """Return a copy of ``array`` whose entries all lie in ``alphabet``.

    Floats equal to an allowed integer (``1.0``) are accepted; booleans,
    NaN, inf and any other value are rejected with a message naming the
    argument and the offending values.
    """
    arr = check_real_array(array, name, ndim=ndim, shape=shape, dtype=np.float64)
    bad = ~np.isin(arr, alphabet)
    if bad.any():
        found = np.unique(arr[bad])[:5]
        raise ValidationError(
            f"{name} must only hold values in {set(alphabet)}, "
            f"found {', '.join(repr(float(v)) for v in found)} ({int(bad.sum())} entries)"
        )
    return arr.astype(dtype)


def check_bool(value: Any, name: str) -> bool:
    """Return ``value`` as a bool: only ``True``/``False`` (or NumPy booleans) are accepted.

    A string such as ``"false"`` or ``"no"`` is refused rather than taken as
    true; the command line converts the words ``true``/``false`` itself.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise ValidationTypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return bool(value)


# ----------------------------------------------------------------- bounds
@dataclass(frozen=True)
class Limits:
    """Upper bounds checked before any allocation or long loop.

    Attributes
    ----------
    max_elements
        Elements of one array a call allocates (``2**30``: 8 GiB of float64).
    max_trials
        Monte Carlo trials of one call.
    max_steps
        Time steps, sweeps or iterations of one call.
    max_points
        Points (grid points times seeds) of one sweep.
    max_work
        Elementary updates of one call, a product such as trials times the
        cells drawn per trial, or steps times units (``10**11``: minutes of
        one core).

    Each bound can be lifted for a block of code with :func:`set_limits`
    or for a whole process (and its Dask workers) with the environment
    variable ``ENGRAMSIM_<NAME>`` (for example ``ENGRAMSIM_MAX_ELEMENTS``).
    """

    max_elements: int = 2**30
    max_trials: int = 10**9
    max_steps: int = 10**8
    max_points: int = 10**5
    max_work: int = 10**11


def _limits_from_environment() -> Limits:
    values = {}
    for f in fields(Limits):
        text = os.environ.get(f"ENGRAMSIM_{f.name.upper()}")
        if text is not None:
            try:
                values[f.name] = int(float(text))
            except ValueError:
                raise ValidationError(f"environment variable ENGRAMSIM_{f.name.upper()} must be an "
                                      f"integer, got {text!r}") from None
    return Limits(**values)


_LIMITS: list[Limits] = []


def limits() -> Limits:
    """The bounds in force now (see :class:`Limits`)."""
    if not _LIMITS:
        _LIMITS.append(_limits_from_environment())
    return _LIMITS[-1]


@contextlib.contextmanager
def set_limits(**bounds: int) -> Iterator[Limits]:
    """Lift (or lower) bounds of :class:`Limits` inside a ``with`` block.

    >>> from engramsim.sim.validation import limits, set_limits
    >>> with set_limits(max_elements=2**32):
    ...     limits().max_elements
    4294967296
    """
    known = {f.name for f in fields(Limits)}
    for key, value in bounds.items():
        if key not in known:
            raise ValidationError(f"unknown bound {key!r}; bounds: {', '.join(sorted(known))}")
        check_int(value, key, minimum=1)
    new = replace(limits(), **{k: int(v) for k, v in bounds.items()})
    _LIMITS.append(new)
    try:
        yield new
    finally:
        _LIMITS.remove(new)


def _how_to_lift(bound: str) -> str:
    return (f"lift it with `with engramsim.sim.validation.set_limits({bound}=...)` "
            f"or the environment variable ENGRAMSIM_{bound.upper()}")


def check_bounded(value: int, what: str, bound: str) -> int:
    """Check ``value`` (a size, count or product already computed) against bound ``bound``.

    Parameters
    ----------
    value
        The quantity, e.g. ``n_neurons**2`` or ``trials``.
    what
        How to name it in the message, e.g. ``"n_neurons * n_neurons"``.
    bound
        A field of :class:`Limits`: ``"max_elements"``, ``"max_trials"``,
        ``"max_steps"``, ``"max_points"`` or ``"max_work"``.
    """
    limit = getattr(limits(), bound)
    if value > limit:
        raise ValidationError(f"{what} = {value} exceeds the bound {bound} = {limit}; {_how_to_lift(bound)}")
    return value


def check_elements(name: str, *sizes: int) -> int:
    """Check that an array of shape ``sizes`` stays within ``max_elements``; return its size.

    ``name`` describes the product, e.g. ``"n_neurons * n_neurons"``.  The
    product is computed in Python integers, so it never overflows.
    """
    return check_bounded(math.prod(int(s) for s in sizes), name, "max_elements")


def check_work(name: str, *factors: int) -> int:
    """Check that a product of counts (e.g. ``trials * a``) stays within ``max_work``; return it."""
    return check_bounded(math.prod(int(f) for f in factors), name, "max_work")


def check_count(value: Any, name: str, bound: str, minimum: int = 1) -> int:
    """Return ``value`` as an int ``>= minimum`` and within bound ``bound`` of :class:`Limits`."""
    value = check_int(value, name, minimum=minimum)
    limit = getattr(limits(), bound)
    if value > limit:
        raise ValidationError(f"{name} must be <= {limit} (the bound {bound}), got {value}; "
                              f"{_how_to_lift(bound)}")
    return value


def check_seed_list(seeds: Any, name: str = "seeds") -> list[int]:
    """Seeds of a sweep: a number ``K >= 1`` (seeds 0 to K - 1) or a list of distinct seeds.

    Seeds must be integers (integral floats accepted) in ``[0, 2**63 - 1]``;
    a string, fractional values, repeats and an empty list are refused, and
    ``K`` is bounded by ``max_points``.
    """
    if isinstance(seeds, (str, bytes)) or isinstance(seeds, Mapping):
        raise ValidationTypeError(f"{name} must be a number of seeds or a list of integer seeds, "
                                  f"got {type(seeds).__name__} {seeds!r}")
    if isinstance(seeds, (int, np.integer, float, np.floating, bool, np.bool_)):
        return list(range(check_count(seeds, name, "max_points")))
    try:
        items = list(seeds)
    except TypeError:
        raise ValidationTypeError(f"{name} must be a number of seeds or a list of integer seeds, "
                                  f"got {type(seeds).__name__} {seeds!r}") from None
    if not items:
        raise ValidationError(f"{name} must hold at least one seed, got an empty list")
    values = [check_int(s, f"{name}[{i}]", minimum=0, maximum=2**63 - 1) for i, s in enumerate(items)]
    if len(set(values)) != len(values):
        raise ValidationError(f"{name} must be distinct, got {values}")
    check_bounded(len(values), f"the number of {name}", "max_points")
    return values
