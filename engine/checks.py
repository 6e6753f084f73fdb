"""Checks of numeric parameters, shared by every engine part that takes one.

A setting that is wrong must be refused when it is given, by name, with what was given and
what is allowed -- not later as a NumPy error deep inside training.  The numeric parameters
of layers, optimizers, schedules, losses, initializers, metrics, datasets and ``fit`` go
through :func:`whole` or :func:`number`, so all of them refuse the same things (``bool``,
strings, fractions where counts are due, NaN, infinities) and say so the same way::

    dense units must be a whole number >= 1, got 0
    dropout rate must be a number in [0, 1) (>= 0 and < 1), got 1.0
    momentum must be a finite number >= 0, got nan

Each module raises its own error class (``LayerConfigError``, ``TrainingError``, ...) by
passing it as ``error``.
"""

from __future__ import annotations

import math
import numbers


def whole(name: str, value, low: int, high: int | None = None, error: type = ValueError, *,
          wording: tuple[str, str] | None = None) -> int:
    """``value`` as an ``int`` in ``[low, high]``, or ``error`` naming it.

    Parameters
    ----------
    name : str
        What the value is, as the message starts ("epochs", "dense units").
    value : object
        Accepted: ``int`` and NumPy integers, not ``bool`` (``True`` as a count is surely a
        mistake) and not floats, even whole ones.
    low, high : int
        Smallest and largest allowed value (``high=None``: no upper bound).
    error : type
        Exception class raised with the message.
    wording : (str, str), optional
        What the message says the value must be when it is not a whole number, and when it is
        out of range (in this one ``{low}`` and ``{high}`` are filled in).  Only for modules whose messages
        are worded otherwise by contract (their tests); default, for both,
        ``"a whole number >= LOW"`` or ``"a whole number between LOW and HIGH"``.

    Returns
    -------
    int
    """
    if wording is None:
        must = f">= {low}" if high is None else f"between {low} and {high}"
        wording = (f"a whole number {must}",) * 2
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise error(f"{name} must be {wording[0]}, got {value!r}")
    if value < low or (high is not None and value > high):
        must = wording[1].format(low=low, high=high)
        raise error(f"{name} must be {must}, got {int(value)}")
    return int(value)


def number(name: str, value, low: float | None = None, high: float | None = None, *,
           low_open: bool = False, high_open: bool = False, error: type = ValueError) -> float:
    """``value`` as a finite ``float`` between ``low`` and ``high``, or ``error`` naming it.

    Parameters
    ----------
    name : str
        What the value is, as the message starts ("learning rate", "dropout rate").
    value : object
        Accepted: real numbers (Python and NumPy), not ``bool`` and not strings.
    low, high : float, optional
        Bounds (None: unbounded on that side); NaN and infinities are always refused.
    low_open, high_open : bool
        Exclude the bound itself (``low=0, low_open=True``: ``> 0``).
    error : type
        Exception class raised with the message.

    Returns
    -------
    float
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise error(f"{name} must be a number, got {value!r}")
    value = float(value)
    ok = math.isfinite(value) and (
        low is None or (value > low if low_open else value >= low)) and (
        high is None or (value < high if high_open else value <= high))
    if not ok:
        raise error(f"{name} must be {_number_range(low, high, low_open, high_open)}, "
                    f"got {value}")
    return value


def _number_range(low, high, low_open, high_open) -> str:
    # "finite" only where the bounds alone would not exclude infinity.
    above = f"{'>' if low_open else '>='} {low}"
    below = f"{'<' if high_open else '<='} {high}"
    if low is not None and high is not None:
        interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        return f"a number in {interval} ({above} and {below})"
    if low is not None:
        return f"a finite number {above}"
    if high is not None:
        return f"a finite number {below}"
    return "a finite number"
