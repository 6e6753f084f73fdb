"""A trained network as an ONNX model (opset 17), built with the ``onnx`` helper API.

The graph has one input ``"input"`` of shape ``(N, n_features)`` and one output
``"output"`` of shape ``(N, n_outputs)``, float32, with a symbolic batch size ``N``; it
computes what ``Network.predict`` computes (evaluation mode):

===============  ============================================================================
layer            ONNX
===============  ============================================================================
dense            ``Gemm(x, W, b, transB=1)`` (W as ``torch.nn.Linear``), then the activation
activation       the activation
dropout          ``Identity`` (inference)
batch_norm       ``BatchNormalization`` with the running statistics (inference mode)
add              a chain of ``Add``
concatenate      ``Concat(axis=1)``
===============  ============================================================================

Activations: sigmoid ``Sigmoid``, tanh ``Tanh``, relu ``Relu``, leaky_relu
``LeakyRelu(alpha=negative_slope)``, elu ``Elu(alpha)``, selu ``Selu(alpha, gamma)`` with the
engine's (torch's) constants, softmax ``Softmax(axis=-1)``, linear nothing, swish
``x * Sigmoid(x)``, gelu ``x * (1 + Erf(x / sqrt 2)) / 2`` (opset 17 has no Gelu), softplus
``Where(beta x > threshold, x, Softplus(beta x) / beta)`` (ONNX's Softplus has neither beta
nor threshold; beyond the threshold torch and the engine return ``x`` itself).

``onnx`` is imported when a model is built, so the engine imports without it.
"""

from __future__ import annotations

import math
import os
from typing import Callable

import numpy as np

from .graph import walk

OPSET = 17
INPUT, OUTPUT = "input", "output"

__all__ = ["to_model", "save", "OPSET", "INPUT", "OUTPUT"]


class _Graph:
    """Collects nodes and initializers; every value gets a fresh, readable name."""

    def __init__(self, helper, numpy_helper):
        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes, self.initializers = [], []
        self._names: set[str] = {INPUT, OUTPUT}

    def name(self, base: str) -> str:
        base = base or "value"
        name, i = base, 1
        while name in self._names:
            i += 1
            name = f"{base}_{i}"
        self._names.add(name)
        return name

    def const(self, base: str, value) -> str:
        name = self.name(base)
        self.initializers.append(self.numpy_helper.from_array(
            np.ascontiguousarray(np.asarray(value, dtype=np.float32)), name))
        return name

    def op(self, op_type: str, inputs: list[str], base: str, **attrs) -> str:
        out = self.name(base)
        self.nodes.append(self.helper.make_node(op_type, inputs, [out], name=out, **attrs))
        return out


def _unary(op_type: str, **fixed) -> Callable:
    return lambda g, x, act, base: g.op(op_type, [x], base, **fixed)


def _swish(g, x, act, base):
    return g.op("Mul", [x, g.op("Sigmoid", [x], f"{base}_sigmoid")], base)


def _gelu(g, x, act, base):
    scaled = g.op("Mul", [x, g.const(f"{base}_inv_sqrt2", 1 / math.sqrt(2))], f"{base}_scaled")
    erf = g.op("Erf", [scaled], f"{base}_erf")
    cdf = g.op("Mul", [g.op("Add", [erf, g.const(f"{base}_one", 1.0)], f"{base}_erf1"),
                       g.const(f"{base}_half", 0.5)], f"{base}_cdf")
    return g.op("Mul", [x, cdf], base)


def _softplus(g, x, act, base):
    bx = g.op("Mul", [x, g.const(f"{base}_beta", act.beta)], f"{base}_bx")
    soft = g.op("Div", [g.op("Softplus", [bx], f"{base}_soft"),
                        g.const(f"{base}_beta_div", act.beta)], f"{base}_smooth")
    linear = g.op("Greater", [bx, g.const(f"{base}_threshold", act.threshold)],
                  f"{base}_linear")
    return g.op("Where", [linear, x, soft], base)


# activation registry name -> emitter(graph, input, activation, output base name)
ACTIVATIONS: dict[str, Callable] = {
    "sigmoid": _unary("Sigmoid"),
    "tanh": _unary("Tanh"),
    "relu": _unary("Relu"),
    "leaky_relu": lambda g, x, act, base: g.op("LeakyRelu", [x], base,
                                               alpha=float(act.negative_slope)),
    "elu": lambda g, x, act, base: g.op("Elu", [x], base, alpha=float(act.alpha)),
    "selu": lambda g, x, act, base: g.op("Selu", [x], base, alpha=float(act.ALPHA),
                                         gamma=float(act.SCALE)),
    "softmax": _unary("Softmax", axis=-1),
    "linear": lambda g, x, act, base: x,
    "swish": _swish,
    "gelu": _gelu,
    "softplus": _softplus,
}


def _activate(g, x, layer, base):
    act = layer.activation
    return ACTIVATIONS[act.name](g, x, act, base)


def _dense(g, node, inputs, weights):
    args = [inputs[0], g.const(f"{node.id}.weight", weights[f"{node.id}.weight"])]
    if f"{node.id}.bias" in weights:
        args.append(g.const(f"{node.id}.bias", weights[f"{node.id}.bias"]))
    z = g.op("Gemm", args, f"{node.id}_z", transB=1)
    return _activate(g, z, node.layer, node.id)


def _batch_norm(g, node, inputs, weights):
    names = [g.const(f"{node.id}.{p}", weights[f"{node.id}.{p}"])
             for p in ("weight", "bias", "running_mean", "running_var")]
    return g.op("BatchNormalization", [inputs[0], *names], node.id,
                epsilon=float(node.layer.eps), momentum=float(1 - node.layer.momentum),
                training_mode=0)


def _add(g, node, inputs, weights):
    total = inputs[0]
    for i, x in enumerate(inputs[1:], 1):
        total = g.op("Add", [total, x], node.id if i == len(inputs) - 1 else f"{node.id}_{i}")
    return total


# layer registry name -> emitter(graph, node, input names, weights) -> output name
LAYERS: dict[str, Callable] = {
    "input": lambda g, node, inputs, weights: INPUT,
    "dense": _dense,
    "activation": lambda g, node, inputs, weights: _activate(g, inputs[0], node.layer, node.id),
    "dropout": lambda g, node, inputs, weights: g.op("Identity", inputs, node.id),
    "batch_norm": _batch_norm,
    "add": _add,
    "concatenate": lambda g, node, inputs, weights: g.op("Concat", inputs, node.id, axis=1),
}


def to_model(net, name: str = "nnstudio"):
    """The ONNX model of ``net``'s current weights (evaluation mode).

    Parameters
    ----------
    net : engine.network.Network
        A built network (float32 or float64; the model computes in float32).
    name : str
        The graph's name.

    Returns
    -------
    onnx.ModelProto
        Checked with ``onnx.checker.check_model``; input ``"input"`` (N, n_features),
        output ``"output"`` (N, n_outputs).

    Raises
    ------
    ImportError
        When the ``onnx`` package is not installed.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    g = _Graph(helper, numpy_helper)
    weights = net.get_weights()
    values: dict[str, str] = {}
    for node in walk(net):
        values[node.id] = LAYERS[node.layer.name](g, node, [values[i] for i in node.inputs],
                                                  weights)
    g.nodes.append(helper.make_node("Identity", [values[net.output_id]], [OUTPUT],
                                    name=OUTPUT))
    graph = helper.make_graph(
        g.nodes, name,
        [helper.make_tensor_value_info(INPUT, TensorProto.FLOAT, ["N", net.n_features])],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["N", net.n_outputs])],
        g.initializers)
    model = helper.make_model(graph, producer_name="nnstudio",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8  # the IR of opset 17: runtimes from 2022 on read it
    onnx.checker.check_model(model)
    return model


def save(net, path: str | os.PathLike) -> None:
    """Write ``to_model(net)`` to ``path`` (an ``.onnx`` file)."""
    import onnx

    onnx.save(to_model(net, os.path.splitext(os.path.basename(os.fspath(path)))[0]), path)
