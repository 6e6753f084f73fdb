"""Weight initializers.

Each initializer fills a weight matrix of shape (fan_out, fan_in) -- torch's layout of a dense
layer's weight, ``z = x @ W.T + b`` -- from a seeded ``numpy.random.Generator``.  The scales are
those of ``torch.nn.init`` with gain 1 (Glorot = ``xavier_*``, He = ``kaiming_*`` with
``nonlinearity='relu'``, i.e. gain sqrt 2).
"""

from __future__ import annotations

import math

import numpy as np

from . import activations, checks
from .registry import Configurable, Registry

INITIALIZERS = Registry("initializer")


def names() -> list[str]:
    """Registered initializer names."""
    return INITIALIZERS.names()


def get(spec, **overrides) -> "Initializer":
    """An initializer from a name, a config dict or an instance."""
    return INITIALIZERS.get(spec, **overrides)


class Initializer(Configurable):
    """Base class: ``__call__(shape, rng, dtype)`` returns a new array of ``shape``."""

    def __call__(self, shape: tuple[int, ...], rng: np.random.Generator,
                 dtype=np.float32) -> np.ndarray:
        """Initial values for a parameter, drawn from ``rng``.

        Parameters
        ----------
        shape : tuple of int
            (fan_out, fan_in) for a weight matrix (torch's layout), (n,) for a vector, whose
            fan_in and fan_out are both n.
        rng : numpy.random.Generator
            The only source of randomness: the same generator state gives the same values.
        dtype : dtype
            The dtype of the returned array.

        Returns
        -------
        ndarray of ``shape`` and ``dtype``
            A new array; each initializer states its distribution.
        """
        raise NotImplementedError


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a (fan_out, fan_in) matrix, as ``torch.nn.init`` computes them."""
    if len(shape) == 1:
        return shape[0], shape[0]
    return shape[1], shape[0]


def _uniform(rng, shape, limit, dtype):
    return rng.uniform(-limit, limit, size=shape).astype(dtype)


def _normal(rng, shape, std, dtype, mean=0.0):
    return (rng.standard_normal(size=shape) * std + mean).astype(dtype)


@INITIALIZERS.register("glorot_uniform", aliases=("xavier_uniform",))
class GlorotUniform(Initializer):
    """``U(-l, l)`` with ``l = sqrt(6 / (fan_in + fan_out))``: keeps variance for tanh/sigmoid."""

    def __call__(self, shape, rng, dtype=np.float32):
        fan_in, fan_out = _fans(shape)
        return _uniform(rng, shape, math.sqrt(6.0 / (fan_in + fan_out)), dtype)


@INITIALIZERS.register("glorot_normal", aliases=("xavier_normal",))
class GlorotNormal(Initializer):
    """``N(0, s^2)`` with ``s = sqrt(2 / (fan_in + fan_out))``."""

    def __call__(self, shape, rng, dtype=np.float32):
        fan_in, fan_out = _fans(shape)
        return _normal(rng, shape, math.sqrt(2.0 / (fan_in + fan_out)), dtype)


@INITIALIZERS.register("he_uniform", aliases=("kaiming_uniform",))
class HeUniform(Initializer):
    """``U(-l, l)`` with ``l = sqrt(6 / fan_in)``: keeps variance through ReLU layers."""

    def __call__(self, shape, rng, dtype=np.float32):
        return _uniform(rng, shape, math.sqrt(6.0 / _fans(shape)[0]), dtype)


@INITIALIZERS.register("he_normal", aliases=("kaiming_normal",))
class HeNormal(Initializer):
    """``N(0, s^2)`` with ``s = sqrt(2 / fan_in)``."""

    def __call__(self, shape, rng, dtype=np.float32):
        return _normal(rng, shape, math.sqrt(2.0 / _fans(shape)[0]), dtype)


@INITIALIZERS.register("lecun_normal")
class LecunNormal(Initializer):
    """``N(0, s^2)`` with ``s = sqrt(1 / fan_in)``: the partner of SELU."""

    def __call__(self, shape, rng, dtype=np.float32):
        return _normal(rng, shape, math.sqrt(1.0 / _fans(shape)[0]), dtype)


@INITIALIZERS.register("zeros")
class Zeros(Initializer):
    """All zeros (the usual bias initializer; for weights every unit would learn the same)."""

    def __call__(self, shape, rng, dtype=np.float32):
        return np.zeros(shape, dtype=dtype)


@INITIALIZERS.register("ones")
class Ones(Initializer):
    """All ones."""

    def __call__(self, shape, rng, dtype=np.float32):
        return np.ones(shape, dtype=dtype)


@INITIALIZERS.register("normal", aliases=("random_normal",))
class Normal(Initializer):
    """``N(mean, std^2)``; defaults ``mean=0``, ``std=0.05``."""

    def __init__(self, mean: float = 0.0, std: float = 0.05):
        self.mean = float(mean)
        self.std = checks.number("normal std", std, 0)

    def config(self):
        return {"mean": self.mean, "std": self.std}

    def __call__(self, shape, rng, dtype=np.float32):
        return _normal(rng, shape, self.std, dtype, self.mean)


@INITIALIZERS.register("uniform", aliases=("random_uniform",))
class Uniform(Initializer):
    """``U(low, high)``; defaults ``low=-0.05``, ``high=0.05``."""

    def __init__(self, low: float = -0.05, high: float = 0.05):
        if not high >= low:
            raise ValueError(f"uniform needs low <= high, got low={low}, high={high}")
        self.low = float(low)
        self.high = float(high)

    def config(self):
        return {"low": self.low, "high": self.high}

    def __call__(self, shape, rng, dtype=np.float32):
        return rng.uniform(self.low, self.high, size=shape).astype(dtype)


def default_for(activation: str) -> str:
    """The initializer that suits ``activation`` (its ``default_initializer``)."""
    return activations.ACTIVATIONS.cls(activation).default_initializer
