"""Layers: each holds its config, its parameters and its forward and backward side by side.

Every tensor between layers has shape (N, units): a batch of N feature vectors.  A layer is
created from its config (``LAYERS.get({"name": "dense", "units": 8})``), then ``build`` is
told how many units each of its inputs has and answers with its own output units and the
shapes of its parameters.  The network then hands it views into one flat parameter vector
and one flat gradient vector (``bind``); ``backward`` writes the parameter gradients into
those views and returns the gradients with respect to its inputs.

Parameter layout follows ``torch.nn``: a dense layer's ``weight`` is (units, in_features) and
``z = x @ weight.T + bias``, exactly ``torch.nn.Linear``.

Backward never writes into the gradient it receives: with skip connections one gradient
array may feed several branches.
"""

from __future__ import annotations

import numpy as np

from . import activations, checks, initializers
from .registry import Registry

LAYERS = Registry("layer")


def names() -> list[str]:
    """Registered layer type names."""
    return LAYERS.names()


def get(spec, **overrides) -> "Layer":
    """A layer from a type name, a config dict or an instance."""
    return LAYERS.get(spec, **overrides)


class LayerConfigError(ValueError):
    """A layer parameter outside what it allows (units <= 0, rate >= 1, ...)."""


class ShapeError(ValueError):
    """Inputs whose unit counts a layer cannot take (e.g. ``add`` of 8 and 4 units)."""


def _saved(registry, entry) -> str | dict:
    """How a layer's config names an activation or initializer: the canonical name, or the
    config when the entry has parameters -- never an alias or an instance, which a project
    file cannot hold."""
    return registry.to_config(entry) if entry.config() else entry.name


class Layer:
    """Base class.

    Attributes
    ----------
    name : str
        Registry (type) name.
    arity : tuple(int, int or None)
        Smallest and largest number of incoming edges (None: no limit).
    help : str
        One line for the palette.
    activation : Activation or None
        The activation the layer ends in (dense, activation), else None.
    min_batch : int
        Fewest samples a training batch may hold (2 for batch norm).
    sized_by_config : bool
        True when the config, not the inputs, fixes the output units (dense).
    """

    name = "?"
    arity: tuple[int, int | None] = (1, 1)
    help = ""
    activation: activations.Activation | None = None
    min_batch = 1
    sized_by_config = False

    def config(self) -> dict:
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.config()})"

    # -- structure ----------------------------------------------------------------------
    def output_units(self, input_units: list[int]) -> int:
        """Units of the output for inputs of ``input_units`` units (raises ``ShapeError``)."""
        return input_units[0]

    def param_shapes(self, input_units: list[int]) -> dict[str, tuple[int, ...]]:
        """Trainable parameters by name and shape, in the order of the flat vector."""
        return {}

    def buffer_shapes(self, input_units: list[int]) -> dict[str, tuple[int, ...]]:
        """Non-trainable state (running statistics) by name and shape."""
        return {}

    def build(self, input_units: list[int]) -> int:
        """Fix the input sizes; returns the output units."""
        self.input_units = list(input_units)
        self.units = self.output_units(self.input_units)
        return self.units

    def bind(self, params: dict, grads: dict, buffers: dict, rng: np.random.Generator) -> None:
        """Receive views into the network's flat parameter / gradient vectors and a random
        generator of its own (dropout)."""
        self.p, self.g, self.b, self.rng = params, grads, buffers, rng

    def initialize(self, rng: np.random.Generator) -> None:
        """Fill parameters and buffers with their initial values."""

    def penalty(self) -> float:
        """Regularization added to the loss (L1/L2), 0 for most layers."""
        return 0.0

    # -- computation --------------------------------------------------------------------
    def forward(self, inputs: list[np.ndarray], training: bool) -> np.ndarray:
        """The layer's output for one batch; keeps what ``backward`` will need.

        Parameters
        ----------
        inputs : list of ndarray, each (N, in_i)
            One array per incoming edge, in edge order; the input layer receives the data
            itself, ``[x]``.
        training : bool
            Training mode (dropout masks, batch statistics) or evaluation mode.

        Returns
        -------
        ndarray, shape (N, units)
            May be one of ``inputs`` itself (layers that pass data through unchanged).
        """
        raise NotImplementedError

    def backward(self, grad: np.ndarray, need_input_grads: bool = True,
                 from_logits: bool = False) -> list[np.ndarray | None]:
        """Backpropagate through the last ``forward``: write the parameter gradients into the
        bound gradient views and return the gradients with respect to the inputs.

        By the chain rule, for each input ``x_i``: ``dL/dx_i = (dL/da) (da/dx_i)`` and for
        each parameter ``w``: ``dL/dw = (dL/da) (da/dw)``; each layer states its own formula.

        Parameters
        ----------
        grad : ndarray, shape (N, units)
            ``dL/da``, the gradient of the loss with respect to this layer's output; never
            written to (with skip connections it may feed several branches).
        need_input_grads : bool
            False when nothing upstream learns: the input gradients may then be skipped
            (returned as None).
        from_logits : bool
            ``grad`` is already ``dL/dz`` of the layer's pre-activation (a loss fused with
            the output activation); only the output layer receives True.

        Returns
        -------
        list of (ndarray (N, in_i) or None)
            ``dL/dx_i`` for each input, in edge order.
        """
        raise NotImplementedError


@LAYERS.register("input")
class Input(Layer):
    """The data's features enter here: ``units`` is the number of input features."""

    arity = (0, 0)
    help = "Input layer: one unit per feature of the data"

    def __init__(self, units: int | None = None):
        self.units_config = None if units is None else checks.whole(
            "input units", units, 1, error=LayerConfigError)

    def config(self):
        return {"units": self.units_config}

    def output_units(self, input_units):
        return self.units_config  # the network substitutes the data's feature count

    def forward(self, inputs, training):
        return inputs[0]

    def backward(self, grad, need_input_grads=True, from_logits=False):
        return []


class _Activated(Layer):
    """Shared by the layers that end in an activation (dense, activation)."""

    def _activate(self, z):
        self.z = z
        self.a = self.activation.forward(z)  # linear returns z itself: no copy
        return self.a

    def _grad_z(self, grad, from_logits):
        # With a fused loss the gradient arriving here is already dL/dz.
        if from_logits:
            return grad
        return self.activation.backward(grad, self.z, self.a)


@LAYERS.register("dense", aliases=("linear_layer", "fully_connected"))
class Dense(_Activated):
    """Fully connected layer ``a = f(x @ W.T + b)`` (torch ``Linear`` + activation).

    Shapes: x (N, in), W (units, in), b (units,), a (N, units).
    Backward: ``dz = f'(z) * da``; ``dW = dz.T @ x``; ``db = sum_n dz``; ``dx = dz @ W``;
    plus ``l1 * sign(W) + 2 * l2 * W`` on ``dW`` when regularized (penalty
    ``l1 * sum|W| + l2 * sum W^2`` is added to the loss).
    """

    help = "Dense (fully connected) layer: every unit sees every input"
    sized_by_config = True

    def __init__(self, units: int | str = 8, activation="relu", initializer: str | None = None,
                 bias: bool = True, l1: float = 0.0, l2: float = 0.0):
        if units != "auto":
            units = checks.whole("dense units", units, 1, error=LayerConfigError)
        self.units_config = units
        self.activation = activations.get(activation)
        init = initializer or self.activation.default_initializer
        self.initializer = initializers.get(init)
        self.initializer_config = None if initializer is None else _saved(
            initializers.INITIALIZERS, self.initializer)
        self.use_bias = bool(bias)
        self.l1 = checks.number("l1", l1, 0, error=LayerConfigError)
        self.l2 = checks.number("l2", l2, 0, error=LayerConfigError)

    def config(self):
        return {"units": self.units_config,
                "activation": _saved(activations.ACTIVATIONS, self.activation),
                "initializer": self.initializer_config, "bias": self.use_bias,
                "l1": self.l1, "l2": self.l2}

    def output_units(self, input_units):
        if self.units_config == "auto":
            raise ShapeError("units 'auto' is only allowed on the output layer")
        return self.units_config

    def param_shapes(self, input_units):
        shapes = {"weight": (self.units, input_units[0])}
        if self.use_bias:
            shapes["bias"] = (self.units,)
        return shapes

    def bind(self, params, grads, buffers, rng):
        super().bind(params, grads, buffers, rng)
        # Plain attributes instead of dict look-ups: on a small network the per-batch
        # Python overhead is most of the cost.
        self._w, self._gw = params["weight"], grads["weight"]
        self._wt = self._w.T
        self._b, self._gb = params.get("bias"), grads.get("bias")

    def initialize(self, rng):
        self._w[...] = self.initializer(self._w.shape, rng, self._w.dtype)
        if self._b is not None:
            self._b.fill(0)

    def penalty(self):
        w = self._w
        total = 0.0
        if self.l1:
            total += self.l1 * float(np.abs(w).sum(dtype=np.float64))
        if self.l2:
            total += self.l2 * float(np.dot(w.ravel(), w.ravel()))
        return total

    def forward(self, inputs, training):
        x = self.x = inputs[0]
        z = np.matmul(x, self._wt)
        if self._b is not None:
            z += self._b
        self.z = z
        self.a = a = self.activation.forward(z)
        return a

    def backward(self, grad, need_input_grads=True, from_logits=False):
        dz = grad if from_logits else self.activation.backward(grad, self.z, self.a)
        w, dw = self._w, self._gw
        np.matmul(dz.T, self.x, out=dw)
        if self._gb is not None:
            np.add.reduce(dz, 0, None, self._gb)  # np.sum(out=) costs twice as much
        if self.l1:
            dw += np.sign(w) * w.dtype.type(self.l1)
        if self.l2:
            dw += w * w.dtype.type(2 * self.l2)
        return [np.matmul(dz, w) if need_input_grads else None]


@LAYERS.register("activation")
class Activation(_Activated):
    """A separate activation ``a = f(x)`` (same shape); useful after ``add`` or batch norm."""

    help = "Activation: applies a function (ReLU, sigmoid, ...) to each value"

    def __init__(self, activation="relu"):
        self.activation = activations.get(activation)

    def config(self):
        return {"activation": _saved(activations.ACTIVATIONS, self.activation)}

    def forward(self, inputs, training):
        return self._activate(inputs[0])

    def backward(self, grad, need_input_grads=True, from_logits=False):
        return [self._grad_z(grad, from_logits) if need_input_grads else None]


@LAYERS.register("dropout")
class Dropout(Layer):
    """Inverted dropout (torch ``Dropout``): while training, each value is zeroed with
    probability ``rate`` and the rest are scaled by ``1 / (1 - rate)``; identity otherwise.
    Backward multiplies by the same mask."""

    help = "Dropout: randomly silences units while training, against overfitting"

    def __init__(self, rate: float = 0.5):
        self.rate = checks.number("dropout rate", rate, 0, 1, high_open=True,
                                  error=LayerConfigError)

    def config(self):
        return {"rate": self.rate}

    def forward(self, inputs, training):
        x = inputs[0]
        if not training or self.rate == 0:
            self.mask = None
            return x
        keep = self.rng.random(x.shape, dtype=np.float32) >= self.rate
        self.mask = keep.astype(x.dtype)
        self.mask *= x.dtype.type(1.0 / (1.0 - self.rate))
        return x * self.mask

    def backward(self, grad, need_input_grads=True, from_logits=False):
        if not need_input_grads:
            return [None]
        return [grad if self.mask is None else grad * self.mask]


@LAYERS.register("batch_norm", aliases=("batchnorm",))
class BatchNorm(Layer):
    """Batch normalization over features (torch ``BatchNorm1d``: ``momentum=0.1, eps=1e-5``).

    Training: ``y = gamma (x - mu_B) / sqrt(var_B + eps) + beta`` with the batch mean and
    biased variance; running statistics ``r <- (1 - momentum) r + momentum * stat`` (the
    running variance takes the unbiased batch variance).  Evaluation uses the running ones.
    Backward (training): ``dx = gamma / (N s) (N g - sum g - xhat sum(g xhat))``,
    ``dgamma = sum g xhat``, ``dbeta = sum g``.
    """

    help = "Batch norm: rescales each unit to zero mean and unit variance per batch"
    min_batch = 2  # the variance of one sample is 0: nothing to normalize by

    def __init__(self, momentum: float = 0.1, eps: float = 1e-5):
        self.momentum = checks.number("batch-norm momentum", momentum, 0, 1,
                                      error=LayerConfigError)
        # eps = 0 would divide by zero on a unit whose batch variance is 0.
        self.eps = checks.number("batch-norm eps", eps, 0, low_open=True,
                                 error=LayerConfigError)

    def config(self):
        return {"momentum": self.momentum, "eps": self.eps}

    def param_shapes(self, input_units):
        return {"weight": (input_units[0],), "bias": (input_units[0],)}

    def buffer_shapes(self, input_units):
        return {"running_mean": (input_units[0],), "running_var": (input_units[0],)}

    def initialize(self, rng):
        self.p["weight"].fill(1)
        self.p["bias"].fill(0)
        self.b["running_mean"].fill(0)
        self.b["running_var"].fill(1)

    def forward(self, inputs, training):
        x = inputs[0]
        t = x.dtype.type
        if training:
            n = x.shape[0]
            if n < 2:
                raise ValueError(f"batch norm needs at least 2 samples per batch while "
                                 f"training, got {n}")
            mean = x.mean(axis=0)
            var = x.var(axis=0)
            m = t(self.momentum)
            self.b["running_mean"] *= 1 - m
            self.b["running_mean"] += m * mean
            self.b["running_var"] *= 1 - m
            self.b["running_var"] += m * var * t(n / (n - 1))
        else:
            mean, var = self.b["running_mean"], self.b["running_var"]
        self.training = training
        self.inv_std = 1.0 / np.sqrt(var + t(self.eps))
        self.xhat = (x - mean) * self.inv_std
        return self.xhat * self.p["weight"] + self.p["bias"]

    def backward(self, grad, need_input_grads=True, from_logits=False):
        gamma = self.p["weight"]
        np.sum(grad * self.xhat, axis=0, out=self.g["weight"])
        np.sum(grad, axis=0, out=self.g["bias"])
        if not need_input_grads:
            return [None]
        if not self.training:
            return [grad * (gamma * self.inv_std)]
        n = grad.shape[0]
        dx = grad * grad.dtype.type(n)
        dx -= self.g["bias"]
        dx -= self.xhat * self.g["weight"]
        dx *= gamma * self.inv_std / grad.dtype.type(n)
        return [dx]


@LAYERS.register("add")
class Add(Layer):
    """Element-wise sum of two or more inputs of equal units (a residual / skip connection).
    Backward passes the same gradient to every input."""

    arity = (2, None)
    help = "Add: sums inputs of the same size (skip connections)"

    def output_units(self, input_units):
        if len(set(input_units)) != 1:
            raise ShapeError(
                f"add needs inputs of equal size, got {' + '.join(map(str, input_units))} units")
        return input_units[0]

    def forward(self, inputs, training):
        out = inputs[0] + inputs[1]
        for x in inputs[2:]:
            out += x
        return out

    def backward(self, grad, need_input_grads=True, from_logits=False):
        return [grad] * len(self.input_units)


@LAYERS.register("concatenate", aliases=("concat",))
class Concatenate(Layer):
    """Joins two or more inputs side by side: units = sum of the inputs' units, in the order
    of the incoming edges.  Backward splits the gradient column-wise."""

    arity = (2, None)
    help = "Concatenate: puts inputs side by side"

    def output_units(self, input_units):
        return sum(input_units)

    def forward(self, inputs, training):
        return np.concatenate(inputs, axis=1)

    def backward(self, grad, need_input_grads=True, from_logits=False):
        edges = np.cumsum(self.input_units)[:-1]
        return np.split(grad, edges, axis=1)
