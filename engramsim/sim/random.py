"""Seeded randomness: named, independent random streams.

Every stochastic object in engramsim takes ``seed`` (an integer, ``None`` or a
:class:`numpy.random.Generator`).  Separate concerns (pattern draws, cue
corruption, update order, network noise) use separate named streams derived
from one seed, so that changing how one is used does not disturb the others.
"""

from __future__ import annotations

import zlib

import numpy as np

from engramsim.errors import ValidationError, ValidationTypeError


def check_seed(seed: object, name: str = "seed") -> None:
    """Raise a clear error unless ``seed`` is an int >= 0, a Generator or None."""
    if seed is None or isinstance(seed, np.random.Generator):
        return
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise ValidationTypeError(
            f"{name} must be a non-negative int, a numpy.random.Generator or None, "
            f"got {type(seed).__name__} {seed!r}"
        )
    if seed < 0:
        raise ValidationError(f"{name} must be a non-negative int, got {seed}")


def as_generator(seed: "int | np.random.Generator | None") -> np.random.Generator:
    """Return a Generator for ``seed`` (a Generator is returned as it is)."""
    check_seed(seed)
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def stream(seed: "int | np.random.Generator | None", name: str) -> np.random.Generator:
    """Return the random stream called ``name`` derived from ``seed``.

    The same ``(seed, name)`` always gives the same stream; different names
    give statistically independent streams.  A Generator ``seed`` spawns a
    child generator instead (so it is advanced, as a Generator should be).
    """
    check_seed(seed)
    if isinstance(seed, np.random.Generator):
        return seed.spawn(1)[0]
    if seed is None:
        return np.random.default_rng()
    key = zlib.crc32(name.encode())
    return np.random.default_rng(np.random.SeedSequence([int(seed), key]))


def draw_seed(rng: np.random.Generator) -> int:
    """Draw a 63-bit integer seed from ``rng`` for a kernel's own generator."""
    return int(rng.integers(0, 2**63 - 1, dtype=np.int64))
