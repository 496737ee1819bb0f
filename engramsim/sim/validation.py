"""Input checks that give one clear error naming the argument.

Each check raises :class:`~engramsim.errors.ValidationError` (a ``ValueError``;
:class:`~engramsim.errors.ValidationTypeError`, also a ``TypeError``, for a wrong type) with a message
that names the argument, says what was expected and what was given.  Array
checks return a fresh array, so callers never hold (or modify) the caller's
memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from engramsim.errors import ValidationError, ValidationTypeError


def _describe(array: np.ndarray) -> str:
    return f"an array of shape {array.shape} and dtype {array.dtype}"


def check_int(value: Any, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as an int, checking its type and range."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
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
    value = float(value)
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
    if value not in choices:
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
