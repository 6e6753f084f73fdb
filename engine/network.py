"""A network built from a spec: forward, backward, loss and gradients, weights in and out.

Parameters live in one flat vector ``Network.params`` and their gradients in
``Network.grads`` (same size and dtype); every layer's parameters are views into them, laid
out in the *documented order*: nodes in topological order (ties keep the spec's node order),
and within a node its parameters in the layer's order (dense: ``weight`` (units, in) then
``bias`` (units,); batch norm: ``weight`` then ``bias``).  Each is stored C-contiguously.  The
name of a parameter is ``"<node id>.<parameter>"``, e.g. ``"h1.weight"``.  Batch-norm running
statistics are *buffers* (``"bn.running_mean"``), outside the flat vector.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import numpy as np

from . import losses as loss_registry
from . import spec as spec_module
from .layers import Input


class WeightsError(ValueError):
    """Weights that do not fit the network: a missing or unknown name, a wrong shape, NaN."""


class InputError(ValueError):
    """Inputs of the wrong shape or with non-finite values."""


@dataclass(frozen=True)
class ParamInfo:
    """Where one parameter sits: its name, node, offset into the flat vector and shape."""

    name: str
    node: str
    offset: int
    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))


def build(spec, n_features=None, n_outputs=None, *, seed: int = 0, dtype="float32",
          loss=None, targets=None, initialize: bool = True) -> "Network":
    """Check ``spec`` and build its network; raises the first :class:`~engine.spec.SpecError`.

    Parameters
    ----------
    spec : dict
        Network spec (see :mod:`engine.spec`).
    n_features, n_outputs : int, optional
        Input features and output units, when the spec leaves them to the data.
    seed : int
        Seeds the weight initialization (and dropout): same spec and seed, same weights,
        bit for bit.
    dtype : "float32" or "float64"
    loss, targets : optional
        Also check that the loss fits the output and the labels.
    initialize : bool
        Draw the initial weights (False leaves them at zero, for a caller that sets them).
    """
    return Network(spec, n_features, n_outputs, seed=seed, dtype=dtype, loss=loss,
                   targets=targets, initialize=initialize)


def _unpickle(spec, n_features, n_outputs, seed, dtype, weights) -> "Network":
    """The inverse of ``Network.__reduce__``."""
    network = Network(spec, n_features, n_outputs, seed=seed, dtype=dtype, initialize=False)
    network.set_weights(weights)
    return network


class Network:
    """An executable network (see :func:`build`).

    Attributes
    ----------
    params, grads : ndarray, shape (P,)
        All trainable parameters, and their gradients after :meth:`backward`.
    param_info : list of ParamInfo
        The layout of ``params``, in order.
    order : list of str
        Node ids in execution (topological) order.
    n_features, n_outputs : int
    warnings : list of SpecWarning
    """

    def __init__(self, spec, n_features=None, n_outputs=None, *, seed=0, dtype="float32",
                 loss=None, targets=None, initialize=True):
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64, got {dtype}")
        graph = spec_module.analyse(spec, n_features, n_outputs, loss, targets)
        errs = spec_module.errors(graph.problems)
        if errs:
            more = f" (and {len(errs) - 1} more problem(s))" if len(errs) > 1 else ""
            first = errs[0]
            raise type(first)(first.message + more, first.nodes)
        for nid, units in graph.units.items():
            if units is None:
                what = ("input features (n_features)" if nid == graph.input_id
                        else "output units (n_outputs)")
                raise spec_module.ShapeMismatchError(
                    f"layer {nid!r} has no size yet: give the {what}", [nid])
        self.spec = spec
        self.seed = int(seed)
        self.warnings = spec_module.warnings_of(graph.problems)
        self.order = graph.order
        self.layers = graph.layers
        self.input_id, self.output_id = graph.input_id, graph.output_id
        self.units = graph.units
        self.n_features = graph.units[graph.input_id]
        self.n_outputs = graph.units[graph.output_id]
        self.output_activation = spec_module.output_activation(graph)
        index = {nid: i for i, nid in enumerate(self.order)}
        self._inputs = [[index[s] for s in graph.inputs[nid]] for nid in self.order]
        self._layers = [self.layers[nid] for nid in self.order]
        self._allocate(graph)
        if initialize:  # a reader about to set the weights skips drawing them
            self.initialize(self.seed)

    def __reduce__(self):
        """Pickle as the spec, sizes, seed, dtype and weights (a network crosses to a
        spawned training process this way): the layers' parameters are views into
        ``params``, and pickling the arrays one by one would break them apart."""
        return (_unpickle, (self.spec, self.n_features, self.n_outputs, self.seed,
                            self.dtype.name, self.get_weights()))

    # -- construction ---------------------------------------------------------------------
    def _allocate(self, graph):
        info, offset = [], 0
        buffer_shapes = {}
        for nid in self.order:
            layer = self.layers[nid]
            in_units = [graph.units[s] for s in graph.inputs[nid]]
            if isinstance(layer, Input):
                layer.units = graph.units[nid]
                layer.input_units = []
                continue
            layer.input_units = in_units
            layer.units = graph.units[nid]
            for pname, shape in layer.param_shapes(in_units).items():
                info.append(ParamInfo(f"{nid}.{pname}", nid, offset, tuple(shape)))
                offset += info[-1].size
            for bname, shape in layer.buffer_shapes(in_units).items():
                buffer_shapes[f"{nid}.{bname}"] = tuple(shape)
        self.param_info = info
        self.params = np.zeros(offset, dtype=self.dtype)
        self.grads = np.zeros(offset, dtype=self.dtype)
        self.buffers = {k: np.zeros(s, dtype=self.dtype) for k, s in buffer_shapes.items()}
        self.node_slices: dict[str, slice] = {}
        for nid in self.order:
            mine = [p for p in info if p.node == nid]
            views = {p.name.rsplit(".", 1)[1]: self._view(self.params, p) for p in mine}
            gviews = {p.name.rsplit(".", 1)[1]: self._view(self.grads, p) for p in mine}
            bufs = {k.rsplit(".", 1)[1]: v for k, v in self.buffers.items()
                    if k.rsplit(".", 1)[0] == nid}
            if mine:
                self.node_slices[nid] = slice(mine[0].offset, mine[-1].offset + mine[-1].size)
            self.layers[nid].bind(views, gviews, bufs, self._node_rng(nid, "dropout"))
        # A layer needs the gradient of its inputs only if something upstream learns.
        learns = {}
        for nid in self.order:
            upstream = any(learns[s] for s in graph.inputs[nid])
            learns[nid] = upstream or nid in self.node_slices
        self._need_input_grads = [any(learns[self.order[j]] for j in ins)
                                  for ins in self._inputs]

    @staticmethod
    def _view(flat, p: ParamInfo):
        return flat[p.offset:p.offset + p.size].reshape(p.shape)

    def _node_rng(self, nid: str, purpose: str, seed: int | None = None) -> np.random.Generator:
        # Seeded per node id, not per position: adding a layer leaves the others' draws alone.
        key = zlib.crc32(f"{nid}/{purpose}".encode())
        return np.random.default_rng([self.seed if seed is None else seed, key])

    def seed_dropout(self, seed: int) -> None:
        """Restart every layer's random stream (dropout masks) from ``seed``."""
        for nid in self.order:
            self.layers[nid].rng = self._node_rng(nid, "dropout", seed)

    def initialize(self, seed: int | None = None) -> None:
        """(Re)initialize every parameter and buffer from ``seed`` (default: the build seed)."""
        if seed is not None:
            self.seed = int(seed)
        for nid in self.order:
            layer = self.layers[nid]
            layer.rng = self._node_rng(nid, "dropout")
            layer.initialize(self._node_rng(nid, "init"))

    # -- computation ----------------------------------------------------------------------
    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """The network's outputs: every layer's ``forward`` in topological order.

        Parameters
        ----------
        x : array_like, shape (N, n_features)
            Inputs (a vector (N,) when there is one feature); checked and converted to the
            network's dtype.
        training : bool
            True applies dropout and batch statistics (and updates batch-norm running
            statistics); evaluation mode is the default.

        Returns
        -------
        ndarray, shape (N, n_outputs)
            ``a``, the output layer's activations.  The network keeps it (and every layer's
            intermediate values) for :meth:`backward`: copy it before the next call.

        Raises
        ------
        InputError
            Wrong shape, not numbers, or NaN / infinite values.
        """
        return self._forward(self.check_inputs(x), training)

    def _forward(self, x, training):
        outs = [None] * len(self._layers)
        for i, layer in enumerate(self._layers):
            ins = [outs[j] for j in self._inputs[i]] if i else [x]
            outs[i] = layer.forward(ins, training)
        self._outs = outs
        return outs[-1]

    def backward(self, grad: np.ndarray, from_logits: bool = False) -> np.ndarray:
        """Backpropagate through the last :meth:`forward` and fill ``grads``.

        Layers are visited in reverse topological order; a layer whose output feeds several
        others receives the sum of their gradients, ``dL/da = sum_j dL/dx_j``.

        Parameters
        ----------
        grad : ndarray, shape (N, n_outputs)
            ``dL/da`` of the output layer, or ``dL/dz`` of its pre-activation when
            ``from_logits`` (a loss fused with the output activation).
        from_logits : bool

        Returns
        -------
        ndarray, shape (P,)
            ``grads`` itself: ``dL/dp`` of every parameter, in the documented order.
        """
        n = len(self._layers)
        pending: list = [None] * n
        pending[-1] = grad
        for i in range(n - 1, 0, -1):
            g = pending[i]
            if g is None:  # nothing upstream of this layer learns: no gradient reached it
                continue
            layer_grads = self._layers[i].backward(g, self._need_input_grads[i],
                                                   from_logits and i == n - 1)
            for j, gi in zip(self._inputs[i], layer_grads):
                if gi is None or j == 0:  # node 0 is the input layer: nothing to learn there
                    continue
                pending[j] = gi if pending[j] is None else pending[j] + gi
        return self.grads

    def fused_with(self, loss: loss_registry.Loss) -> bool:
        """True when ``loss`` takes the output layer's pre-activation (stable fused form)."""
        # A property of the architecture (fit asks before the first forward): only dense and
        # activation layers end in an activation, and both keep their pre-activation z.
        return (loss.fused_activation is not None
                and loss.fused_activation == self.output_activation)

    def loss_and_gradients(self, x, y, loss, training: bool = True):
        """The loss of ``x`` against targets ``y`` and the gradient of every parameter.

        Parameters
        ----------
        x : array (N, n_features)
        y : array
            Targets in the form the loss takes (class indices (N,) for sparse cross-entropy,
            one-hot (N, K) for categorical, (N, K) values otherwise).
        loss : str or dict or Loss
        training : bool
            Forward in training mode (dropout, batch statistics), as in a training step.

        Returns
        -------
        loss : float
            ``L = loss(a, y) + sum_layers (l1 sum|W| + l2 sum W^2)``: the mean loss (torch
            ``reduction='mean'``) plus the L1/L2 penalties of the layers.
        grads : dict of str to ndarray
            ``{"h1.weight": dL/dW (units, in), ...}`` in the documented order (copies).
        """
        loss = loss_registry.get(loss)
        x = self.check_inputs(x)
        y = loss.prepare_targets(y, self.n_outputs, self.dtype)
        value, g, fused = self._loss_grad(loss, self._forward(x, training), y)
        self.backward(g, from_logits=fused)
        value += self.penalty()
        return value, {p.name: self._view(self.grads, p).copy() for p in self.param_info}

    def _loss_grad(self, loss, a, y):
        if self.fused_with(loss):
            value, g = loss.value_and_grad_logits(self.layers[self.output_id].z, a, y)
            return value, g, True
        value, g = loss.value_and_grad(a, y)
        return value, g, False

    def penalty(self) -> float:
        """Sum of the layers' L1/L2 penalties (0 without regularization)."""
        return sum(self.layers[nid].penalty() for nid in self.order)

    def predict(self, x, batch_size: int = 4096) -> np.ndarray:
        """Evaluation-mode outputs, computed ``batch_size`` rows at a time.

        Parameters
        ----------
        x : array_like, shape (N, n_features)
        batch_size : int
            Rows per forward pass (bounds the memory of the intermediate values).

        Returns
        -------
        ndarray, shape (N, n_outputs)
            A new array (unlike :meth:`forward`'s result).
        """
        x = self.check_inputs(x)
        if len(x) <= batch_size:
            return self._forward(x, False).copy()
        return np.concatenate([self._forward(x[i:i + batch_size], False).copy()
                               for i in range(0, len(x), batch_size)])

    def check_inputs(self, x) -> np.ndarray:
        """``x`` as a C-contiguous array of the network's dtype, or ``InputError``."""
        x = np.asarray(x)
        if x.ndim == 1 and self.n_features == 1:
            x = x[:, None]
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise InputError(f"inputs must have shape (N, {self.n_features}) for "
                             f"{self.n_features} input features, got {x.shape}")
        if x.dtype.kind not in "biuf":
            raise InputError(f"inputs must be numbers, got dtype {x.dtype}")
        x = np.ascontiguousarray(x, dtype=self.dtype)
        if not np.isfinite(x).all():
            row = int(np.argwhere(~np.isfinite(x))[0, 0])
            raise InputError(f"inputs contain NaN or infinite values (first at row {row})")
        return x

    # -- weights --------------------------------------------------------------------------
    def parameters(self) -> dict[str, np.ndarray]:
        """Trainable parameters by name, in the documented order (views: writable)."""
        return {p.name: self._view(self.params, p) for p in self.param_info}

    def gradients(self) -> dict[str, np.ndarray]:
        """Gradients by name after ``backward`` (views)."""
        return {p.name: self._view(self.grads, p) for p in self.param_info}

    def get_weights(self) -> dict[str, np.ndarray]:
        """Copies of every parameter, then every buffer, by name in the documented order."""
        weights = {p.name: self._view(self.params, p).copy() for p in self.param_info}
        weights.update({k: v.copy() for k, v in self.buffers.items()})
        return weights

    def set_weights(self, weights: dict[str, np.ndarray]) -> None:
        """Set every parameter and buffer (the inverse of :meth:`get_weights`).

        Parameters
        ----------
        weights : dict of str to array_like
            ``{"h1.weight": array (units, in), "h1.bias": array (units,), ...,
            "bn.running_mean": ...}``: every name of the network, each with its exact
            shape; values are copied and cast to the network's dtype.

        Raises
        ------
        WeightsError
            A name is missing or unknown, a shape differs, or a value is not a finite
            number; the network is then left unchanged.
        """
        expected = {p.name: p.shape for p in self.param_info}
        expected.update({k: v.shape for k, v in self.buffers.items()})
        missing = [k for k in expected if k not in weights]
        unknown = [k for k in weights if k not in expected]
        if missing or unknown:
            parts = []
            if missing:
                parts.append(f"missing {', '.join(missing)}")
            if unknown:
                parts.append(f"unknown {', '.join(unknown)}")
            raise WeightsError(f"weights do not match the network: {'; '.join(parts)}")
        arrays = {}
        for name, shape in expected.items():
            arr = np.asarray(weights[name])
            if arr.shape != shape:
                raise WeightsError(f"{name} has shape {arr.shape}, the network needs {shape}")
            if arr.dtype.kind not in "biuf" or not np.isfinite(arr).all():
                raise WeightsError(f"{name} holds values that are not finite numbers")
            arrays[name] = arr
        params = self.parameters()
        for name, arr in arrays.items():
            target = params[name] if name in params else self.buffers[name]
            target[...] = arr

    @property
    def n_params(self) -> int:
        """Number of trainable parameters."""
        return int(self.params.size)

    def summary(self) -> list[dict]:
        """One row per layer, like a Keras model summary: id, type, activation, output
        units, trainable parameter count (``output`` True on the output layer)."""
        rows = []
        for nid in self.order:
            layer = self.layers[nid]
            sl = self.node_slices.get(nid)
            rows.append({"id": nid, "type": layer.name,
                         "activation": None if layer.activation is None
                         else layer.activation.name,
                         "units": self.units[nid],
                         "params": 0 if sl is None else sl.stop - sl.start,
                         "output": nid == self.output_id})
        return rows

    def grad_norms(self) -> dict[str, float]:
        """L2 norm of each learning layer's gradient (from the last ``backward``)."""
        # float64: the squares of large but finite float32 gradients overflow float32
        return {nid: math.sqrt(float(np.dot(g, g)))
                for nid, s in self.node_slices.items()
                for g in (self.grads[s].astype(np.float64),)}

    def first_nonfinite(self) -> tuple[str, str] | None:
        """Where a NaN or infinity first appeared in the last step, in causal order:
        ``(node id, "output")`` for the first layer whose forward output is not finite, else
        ``(node id, "gradient")`` for the layer nearest the output whose parameter gradient
        is not finite, else ``(node id, "weights")`` for the first layer whose weights are
        not; None when everything is finite."""
        for nid, out in zip(self.order, getattr(self, "_outs", [])):
            if out is not None and not np.isfinite(out).all():
                return nid, "output"
        for nid in reversed(list(self.node_slices)):
            if not np.isfinite(self.grads[self.node_slices[nid]]).all():
                return nid, "gradient"
        for nid, s in self.node_slices.items():
            if not np.isfinite(self.params[s]).all():
                return nid, "weights"
        return None
