"""Activation functions, each with its forward and backward side by side.

Every activation maps a pre-activation ``z`` of shape (N, F) to ``a = f(z)`` of the same shape,
and maps the gradient of the loss with respect to ``a`` back to the gradient with respect to
``z``.  Formulas and defaults follow ``torch.nn`` (e.g. ``LeakyReLU(negative_slope=0.01)``,
``ELU(alpha=1.0)``, ``GELU()`` exact erf form, ``SELU()``, ``Softplus(beta=1, threshold=20)``).

``backward`` receives both ``z`` and ``a`` so that each function may use whichever is cheaper
(``tanh`` and ``sigmoid`` reuse ``a``; ``relu`` needs only the sign).  ``out`` arguments let the
network reuse preallocated buffers: on small networks the allocation costs more than the maths.
"""

from __future__ import annotations

import math

import numpy as np

from .registry import Configurable, Registry

ACTIVATIONS = Registry("activation")


def names() -> list[str]:
    """Registered activation names."""
    return ACTIVATIONS.names()


def get(spec, **overrides) -> "Activation":
    """An activation from a name, a config dict or an instance."""
    return ACTIVATIONS.get(spec, **overrides)


class Activation(Configurable):
    """Base class.  Subclasses implement ``forward`` and ``backward``.

    Attributes
    ----------
    name : str
        Registry name (set by the registry).
    default_initializer : str
        Weight initializer that keeps the variance of this activation's outputs stable
        through depth (He for the ReLU family, Glorot for saturating functions).
    elementwise : bool
        False only for ``softmax``, whose Jacobian couples the units of a row.
    outputs_probabilities : bool
        True when every output lies in (0, 1) and reads as a probability (sigmoid, softmax):
        the outputs of a classifier, which a regression loss fits poorly.
    """

    default_initializer = "glorot_uniform"
    elementwise = True
    outputs_probabilities = False

    def forward(self, z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """``a = f(z)``; shapes (N, F) -> (N, F)."""
        raise NotImplementedError

    def backward(
        self, grad: np.ndarray, z: np.ndarray, a: np.ndarray, out: np.ndarray | None = None
    ) -> np.ndarray:
        """``dL/dz`` from ``grad = dL/da``; all arrays (N, F).  ``out`` may alias ``grad``."""
        raise NotImplementedError

    def derivative(self, z: np.ndarray) -> np.ndarray:
        """``f'(z)`` elementwise (for plots); for softmax, the diagonal of the Jacobian."""
        z = np.asarray(z, dtype=np.float64)
        return self.backward(np.ones_like(z), z, self.forward(z))


def _buffer(like: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    """``out`` when the caller gave a buffer, else a new array shaped like ``like``."""
    return np.empty_like(like) if out is None else out


@ACTIVATIONS.register("sigmoid", aliases=("logistic",))
class Sigmoid(Activation):
    """Logistic sigmoid ``a = 1 / (1 + exp(-z))``; ``da/dz = a (1 - a)``.

    Saturates for large ``|z|`` where the derivative tends to 0 (at most 0.25): stacked
    sigmoid layers are the classic source of vanishing gradients.
    """

    outputs_probabilities = True

    def forward(self, z, out=None):
        # exp(-softplus(-z)): never overflows, and keeps full relative accuracy in the tails
        # (sigmoid(-60) = 8.7e-27, where 0.5 * (1 + tanh(z / 2)) rounds to 0).
        out = np.negative(z, out=_buffer(z, out))
        np.logaddexp(z.dtype.type(0), out, out=out)
        np.negative(out, out=out)
        return np.exp(out, out=out)

    def backward(self, grad, z, a, out=None):
        d = np.subtract(1.0, a, dtype=a.dtype)
        d *= a
        return np.multiply(grad, d, out=d if out is None else out)


@ACTIVATIONS.register("tanh")
class Tanh(Activation):
    """Hyperbolic tangent ``a = tanh(z)``; ``da/dz = 1 - a^2``.  Zero-centred, saturates."""

    def forward(self, z, out=None):
        return np.tanh(z, out=_buffer(z, out))

    def backward(self, grad, z, a, out=None):
        d = np.multiply(a, a)
        np.subtract(1.0, d, out=d)
        return np.multiply(grad, d, out=d if out is None else out)


@ACTIVATIONS.register("relu")
class ReLU(Activation):
    """Rectified linear unit ``a = max(0, z)``; ``da/dz = 1 if z > 0 else 0`` (0 at 0, as torch).

    Does not saturate for positive inputs; a unit whose input stays negative is "dead" and
    passes no gradient.
    """

    default_initializer = "he_uniform"

    def forward(self, z, out=None):
        return np.maximum(z, 0, out=_buffer(z, out))

    def backward(self, grad, z, a, out=None):
        return np.multiply(grad, z > 0, out=out)


@ACTIVATIONS.register("leaky_relu", aliases=("leakyrelu",))
class LeakyReLU(Activation):
    """``a = z if z > 0 else slope * z``; ``da/dz = 1 or slope`` (torch ``negative_slope=0.01``)."""

    default_initializer = "he_uniform"

    def __init__(self, negative_slope: float = 0.01):
        self.negative_slope = float(negative_slope)

    def config(self):
        return {"negative_slope": self.negative_slope}

    def forward(self, z, out=None):
        return np.where(z > 0, z, z * z.dtype.type(self.negative_slope))

    def backward(self, grad, z, a, out=None):
        d = np.where(z > 0, z.dtype.type(1), z.dtype.type(self.negative_slope))
        return np.multiply(grad, d, out=_buffer(grad, out))


@ACTIVATIONS.register("elu")
class ELU(Activation):
    """``a = z if z > 0 else alpha (exp(z) - 1)``; ``da/dz = 1 or a + alpha`` (torch alpha=1)."""

    default_initializer = "he_uniform"

    def __init__(self, alpha: float = 1.0):
        self.alpha = float(alpha)

    def config(self):
        return {"alpha": self.alpha}

    def forward(self, z, out=None):
        neg = np.expm1(np.minimum(z, 0))
        neg *= z.dtype.type(self.alpha)
        return np.where(z > 0, z, neg)

    def backward(self, grad, z, a, out=None):
        d = np.where(z > 0, z.dtype.type(1), a + z.dtype.type(self.alpha))
        return np.multiply(grad, d, out=_buffer(grad, out))


@ACTIVATIONS.register("swish", aliases=("silu",))
class Swish(Activation):
    """Swish / SiLU ``a = z * sigmoid(z)``; ``da/dz = s + a (1 - s)`` with ``s = sigmoid(z)``."""

    default_initializer = "he_uniform"

    def forward(self, z, out=None):
        s = Sigmoid().forward(z)
        return np.multiply(z, s, out=_buffer(z, out))

    def backward(self, grad, z, a, out=None):
        s = Sigmoid().forward(z)
        d = np.subtract(1.0, s, dtype=z.dtype)
        d *= a
        d += s
        return np.multiply(grad, d, out=_buffer(grad, out))


@ACTIVATIONS.register("linear", aliases=("identity", "none"))
class Linear(Activation):
    """Identity ``a = z``; ``da/dz = 1``.  The output activation for regression."""

    def forward(self, z, out=None):
        if out is None or out is z:
            return z
        np.copyto(out, z)
        return out

    def backward(self, grad, z, a, out=None):
        if out is None or out is grad:
            return grad
        np.copyto(out, grad)
        return out


@ACTIVATIONS.register("softmax")
class Softmax(Activation):
    """``a_i = exp(z_i - max z) / sum_j exp(z_j - max z)`` over the units of each row.

    Backward is the Jacobian-vector product ``dL/dz = a * (g - sum_j g_j a_j)``.  With a
    cross-entropy loss the network skips it and uses the fused gradient ``(a - y) / N``.
    """

    elementwise = False
    outputs_probabilities = True

    def forward(self, z, out=None):
        out = np.subtract(z, z.max(axis=-1, keepdims=True), out=_buffer(z, out))
        np.exp(out, out=out)
        out /= out.sum(axis=-1, keepdims=True)
        return out

    def derivative(self, z):
        """The diagonal of the Jacobian, ``d a_i / d z_i = a_i (1 - a_i)`` (for plots)."""
        a = self.forward(np.asarray(z, dtype=np.float64))
        return a * (1.0 - a)

    def backward(self, grad, z, a, out=None):
        dot = (grad * a).sum(axis=-1, keepdims=True)
        out = np.subtract(grad, dot, out=_buffer(grad, out))
        out *= a
        return out


_SQRT_HALF = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


_ERF_UFUNC = np.frompyfunc(math.erf, 1, 1)
# Abramowitz & Stegun 7.1.26: |error| < 1.5e-7, about one float32 rounding step.
_AS_P = 0.3275911
_AS_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def _erf(x: np.ndarray) -> np.ndarray:
    """Elementwise erf in ``x``'s dtype.

    NumPy has no erf and SciPy is not a dependency.  float32 uses a vectorized rational
    approximation accurate to float32's own resolution; float64 (the precision of gradient
    checks and comparisons with torch) calls the exact ``math.erf`` element by element,
    which is far slower.
    """
    if x.dtype == np.float64:
        return _ERF_UFUNC(x).astype(np.float64)
    t = x.dtype.type
    ax = np.abs(x)
    k = 1.0 / (1.0 + t(_AS_P) * ax)
    poly = t(_AS_A[4]) * k
    for coef in _AS_A[3::-1]:
        poly += t(coef)
        poly *= k
    np.multiply(ax, ax, out=ax)
    np.negative(ax, out=ax)
    np.exp(ax, out=ax)
    poly *= ax
    np.subtract(1.0, poly, out=poly)
    return np.copysign(poly, x, out=poly)


@ACTIVATIONS.register("gelu")
class GELU(Activation):
    """Gaussian error linear unit, erf form (torch default ``approximate='none'``).

    ``a = z * Phi(z)`` with ``Phi(z) = (1 + erf(z / sqrt 2)) / 2``;
    ``da/dz = Phi(z) + z * phi(z)`` with ``phi(z) = exp(-z^2 / 2) / sqrt(2 pi)``.
    """

    default_initializer = "he_uniform"

    def _phi_cdf(self, z):
        cdf = _erf(z * z.dtype.type(_SQRT_HALF))
        cdf += 1.0
        cdf *= 0.5
        return cdf

    def forward(self, z, out=None):
        return np.multiply(z, self._phi_cdf(z), out=out)

    def backward(self, grad, z, a, out=None):
        t = z.dtype.type
        d = np.multiply(z, z)
        d *= t(-0.5)
        np.exp(d, out=d)
        d *= z
        d *= t(_INV_SQRT_2PI)
        d += self._phi_cdf(z)
        return np.multiply(grad, d, out=d if out is None else out)


@ACTIVATIONS.register("selu")
class SELU(Activation):
    """Scaled ELU: ``a = scale * (z if z > 0 else alpha (exp(z) - 1))``.

    ``alpha = 1.6732632423543772``, ``scale = 1.0507009873554805`` as in torch; with
    LeCun-normal weights the activations keep zero mean and unit variance through depth.
    """

    default_initializer = "lecun_normal"
    ALPHA = 1.6732632423543772848170429916717
    SCALE = 1.0507009873554804934193349852946

    def forward(self, z, out=None):
        t = z.dtype.type
        neg = np.expm1(np.minimum(z, 0))
        neg *= t(self.ALPHA)
        res = np.where(z > 0, z, neg)
        return np.multiply(res, t(self.SCALE), out=_buffer(z, out))

    def backward(self, grad, z, a, out=None):
        t = z.dtype.type
        d = np.where(z > 0, t(self.SCALE), a + t(self.SCALE * self.ALPHA))
        return np.multiply(grad, d, out=_buffer(grad, out))


@ACTIVATIONS.register("softplus")
class Softplus(Activation):
    """``a = log(1 + exp(beta z)) / beta``, linear above ``beta z > threshold`` (torch 1, 20).

    ``da/dz = sigmoid(beta z)`` (exactly 1 in the linear region).
    """

    default_initializer = "he_uniform"

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        self.beta = float(beta)
        self.threshold = float(threshold)

    def config(self):
        return {"beta": self.beta, "threshold": self.threshold}

    def forward(self, z, out=None):
        t = z.dtype.type
        bz = z * t(self.beta)
        soft = np.logaddexp(t(0), bz) / t(self.beta)
        return np.where(bz > self.threshold, z, soft).astype(z.dtype, copy=False)

    def backward(self, grad, z, a, out=None):
        t = z.dtype.type
        bz = z * t(self.beta)
        d = np.where(bz > self.threshold, t(1), Sigmoid().forward(bz))
        return np.multiply(grad, d, out=_buffer(grad, out))
