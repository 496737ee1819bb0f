"""The package's exceptions: catch :class:`EngramsimError` to catch them all.

>>> from engramsim.errors import ValidationError
>>> issubclass(ValidationError, ValueError)
True
"""

from __future__ import annotations

__all__ = ["EngramsimError", "NumericalError", "ValidationError", "ValidationTypeError"]


class EngramsimError(Exception):
    """Base class of every error engramsim raises on purpose."""


class ValidationError(EngramsimError, ValueError):
    """An argument has a value the callee cannot accept (raised by the ``check_*`` helpers).

    The message names the argument, says what was expected and what was given.
    """


class ValidationTypeError(ValidationError, TypeError):
    """An argument has the wrong type (a :class:`ValidationError` that is also a ``TypeError``)."""


class NumericalError(EngramsimError, ArithmeticError):
    """A computation left the range of its number type (e.g. a membrane potential became inf or NaN).

    Raised instead of handing back a non-finite result; the message says where it happened.
    """
