"""Hypothesis strategies of bad arguments, and the assertion every refusal must pass.

Used by ``tests/test_reliability_*.py``.  A bad value is one the callee must
refuse with :class:`engramsim.errors.ValidationError` whose message names the
argument, within :data:`REFUSAL_SECONDS`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from engramsim.errors import ValidationError

#: a refusal comes before any allocation or loop: far below this, even on a loaded machine
REFUSAL_SECONDS = 2.0

#: fixed-seed settings for the property tests (derandomised: the same examples on every run)
PROPERTY = settings(max_examples=15, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

_NOT_NUMBERS = st.one_of(
    st.text(max_size=4), st.none(), st.lists(st.integers(0, 3), min_size=0, max_size=2),
    st.complex_numbers(allow_nan=False, allow_infinity=False, min_magnitude=1e-3).map(lambda z: complex(z.real, 1.0)),
    st.just(object()), st.just({"a": 1}),
)
_NON_FINITE = st.sampled_from([math.nan, math.inf, -math.inf, np.float64("nan"), np.float32("inf")])


def bad_int(minimum: int | None = None, maximum: int | None = None) -> st.SearchStrategy:
    """Values an integer argument in ``[minimum, maximum]`` must refuse."""
    options = [
        _NOT_NUMBERS, _NON_FINITE, st.booleans(), st.sampled_from([np.True_, np.bool_(False)]),
        st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6).filter(
            lambda x: not float(x).is_integer()),
    ]
    if minimum is not None:
        options.append(st.integers(max_value=minimum - 1, min_value=minimum - 10**20))
    if maximum is not None:
        options.append(st.integers(min_value=maximum + 1, max_value=maximum + 10**20))
    return st.one_of(*options)


def bad_float(minimum: float | None = None, maximum: float | None = None, *,
              strict_minimum: bool = False) -> st.SearchStrategy:
    """Values a finite real argument in ``[minimum, maximum]`` must refuse."""
    options = [_NOT_NUMBERS, _NON_FINITE, st.booleans(), st.just(10**400)]
    if minimum is not None:
        below = st.floats(max_value=minimum, exclude_max=not strict_minimum, allow_nan=False, allow_infinity=False,
                          min_value=-1e300)
        options.append(below)
    if maximum is not None:
        options.append(st.floats(min_value=maximum, exclude_min=True, allow_nan=False, allow_infinity=False,
                                 max_value=1e300))
    return st.one_of(*options)


def bad_bool() -> st.SearchStrategy:
    """Values a boolean argument must refuse: strings ("no", "false", ...), numbers, None, lists."""
    return st.one_of(
        st.sampled_from(["no", "false", "False", "yes", "true", "", "0", "1", "off"]), st.text(max_size=3),
        st.integers(-2, 2), st.floats(allow_nan=True), st.none(), st.lists(st.booleans(), min_size=1, max_size=2),
    )


def bad_choice(choices: Sequence[str]) -> st.SearchStrategy:
    """Values a choice among ``choices`` must refuse."""
    return st.one_of(
        st.text(max_size=8).filter(lambda t: t not in choices), st.integers(), st.none(), st.booleans(),
        st.sampled_from([c.upper() + " " for c in choices]), st.lists(st.sampled_from(list(choices)), min_size=1,
                                                                       max_size=1),
    )


def bad_seed() -> st.SearchStrategy:
    """Values a ``seed`` argument (int >= 0, Generator or None) must refuse."""
    return st.one_of(st.integers(max_value=-1), st.floats(allow_nan=True), st.text(max_size=3), st.booleans(),
                     st.lists(st.integers(0, 3), min_size=1, max_size=2))


def bad_array(shape: tuple[int, ...], alphabet: Sequence[float] | None = None, *,
              allow_bool: bool = False, fixed_length: bool = True) -> st.SearchStrategy:
    """Arrays an argument of ``shape`` (values in ``alphabet``, or any finite reals) must refuse.

    Non-finite entries, values outside the alphabet, wrong numbers of
    dimensions, a wrong last length (when ``fixed_length``: the callee fixes
    it), strings, complex numbers, ragged lists and (unless ``allow_bool``)
    booleans.
    """
    good = np.ones(shape) if alphabet is None else np.full(shape, float(alphabet[-1]))

    def poke(value):
        def put(index):
            arr = good.copy()
            arr.flat[index % arr.size] = value
            return arr
        return st.integers(0, 10**6).map(put)

    options = [
        _NON_FINITE.flatmap(poke),
        st.just(good[None, None]), st.just(np.array(3.0)),
        st.just(good.astype(str)), st.just(good.astype(complex) + 1j),
        st.just([[1.0, 1.0], [1.0]]), st.none(), st.just("patterns"),
    ]
    if fixed_length:
        options.append(st.just(np.concatenate([good, good[..., :1]], axis=-1)))
    if not allow_bool:
        options.append(st.just(good.astype(bool)))
    if alphabet is not None:
        outside = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False).filter(lambda v: v not in alphabet)
        options.append(outside.flatmap(poke))
    return st.one_of(*options)


def assert_refused(call: Callable[[], Any], name: str, seconds: float = REFUSAL_SECONDS) -> ValidationError:
    """``call()`` raises ValidationError naming ``name``, within ``seconds``."""
    start = time.perf_counter()
    with pytest.raises(ValidationError) as info:
        call()
    elapsed = time.perf_counter() - start
    assert elapsed < seconds, f"refusing a bad {name} took {elapsed:.2f} s"
    assert name in str(info.value), f"the error does not name {name!r}: {info.value}"
    return info.value


def assert_finite(*arrays: Any) -> None:
    """Every value of every array is finite (no NaN handed back)."""
    for arr in arrays:
        arr = np.asarray(arr, dtype=np.float64)
        assert np.all(np.isfinite(arr)), f"non-finite values in an output of shape {arr.shape}"
