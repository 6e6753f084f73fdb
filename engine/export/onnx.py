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

With a fitted preprocessor (``engine.data.preprocessing.Preprocessor``, what a run stores)
the model takes the *raw* columns and encodes them itself, before the network:

``input``, float32 ``(N, n_numeric)``
    The numeric columns, in the preprocessor's order, as read (NaN where missing).
    ``Where(IsNaN(x), fill, x)`` imputes the fitted value, then ``(x - center) / width``
    scales (``Sub``, ``Div``).  In a column whose missing values were dropped at training
    there is no value to impute: the NaN passes through and the row's outputs are NaN.
``categories``, string ``(N, n_categorical)``
    The categorical and boolean columns, in the preprocessor's order, as text with the
    spaces around it stripped (as NN Studio's CSV reader strips them); "" and the reader's
    missing-value words (``NA``, ``N/A``, ``n/a``, ``NaN``, ``nan``, ``?``, ``null``,
    ``NULL``, ``None``) are missing.  ``ai.onnx.ml.OneHotEncoder`` (with ``zeros=1``) over
    the fitted categories and those words, then a ``MatMul`` with a constant 0/1 matrix
    that maps a missing word to the imputed category (or, where missing values were
    dropped, ``Where`` makes the row's inputs, hence its outputs, NaN).  A category never
    seen in training gives the all-zero one-hot block, as in NN Studio.  A boolean column
    gives one input, 1 for its true word.
``Concat`` and a ``Gather`` put the encoded inputs in the network's order.  Either input is
left out when there is no column of its kind; the model's ``doc_string`` and its
``metadata_props`` (``numeric_columns``, ``categorical_columns``, ``feature_names``: JSON
lists) name the columns.

``onnx`` is imported when a model is built, so the engine imports without it.
"""

from __future__ import annotations

import json
import math
import os
from typing import Callable

import numpy as np

from .graph import walk

OPSET = 17
ML_OPSET = 3  # ai.onnx.ml, for OneHotEncoder
INPUT, OUTPUT = "input", "output"
CATEGORIES = "categories"
# what NN Studio's CSV reader takes for a missing value (engine.data.csv_import.MISSING)
MISSING_WORDS = ("", "NA", "N/A", "n/a", "NaN", "nan", "?", "null", "NULL", "None")

__all__ = ["to_model", "save", "OPSET", "INPUT", "OUTPUT", "CATEGORIES", "raw_inputs"]


class _Graph:
    """Collects nodes and initializers; every value gets a fresh, readable name."""

    def __init__(self, helper, numpy_helper):
        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes, self.initializers = [], []
        self._names: set[str] = {INPUT, OUTPUT, CATEGORIES}
        self.features = INPUT  # the value the network's input layer reads

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

    def const_int(self, base: str, value) -> str:
        name = self.name(base)
        # np.array, not ascontiguousarray, which would make a scalar index a list of one
        self.initializers.append(self.numpy_helper.from_array(
            np.array(value, dtype=np.int64), name))
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
    "input": lambda g, node, inputs, weights: g.features,
    "dense": _dense,
    "activation": lambda g, node, inputs, weights: _activate(g, inputs[0], node.layer, node.id),
    "dropout": lambda g, node, inputs, weights: g.op("Identity", inputs, node.id),
    "batch_norm": _batch_norm,
    "add": _add,
    "concatenate": lambda g, node, inputs, weights: g.op("Concat", inputs, node.id, axis=1),
}


def _split_columns(pre) -> tuple[list[dict], list[dict]]:
    numeric = [c for c in pre.columns if c["kind"] == "numeric"]
    return numeric, [c for c in pre.columns if c["kind"] != "numeric"]


def raw_inputs(pre, columns) -> dict[str, np.ndarray]:
    """The inputs of a model with preprocessing (``to_model(net, preprocessor=pre)``) for raw
    column values: ``{"input": float32 (N, n_numeric), "categories": str (N, n_cat)}``.

    Parameters
    ----------
    pre : engine.data.preprocessing.Preprocessor
    columns : mapping of column name to a sequence of N values
        Numbers (NaN or None: missing) for numeric columns, text for the others (None,
        NaN and the missing words: missing).
    """
    numeric, categorical = _split_columns(pre)
    feeds = {}
    if numeric:
        feeds[INPUT] = np.array([[np.nan if v is None else float(v) for v in columns[c["name"]]]
                                 for c in numeric], dtype=np.float32).T.reshape(-1, len(numeric))
    if categorical:
        def text(v):
            return "" if v is None or (isinstance(v, float) and v != v) else str(v).strip()
        feeds[CATEGORIES] = np.array([[text(v) for v in columns[c["name"]]]
                                      for c in categorical], dtype=object).T.reshape(
            -1, len(categorical))
    return feeds


def _preprocessing(g, pre) -> tuple[list, str]:
    """Nodes that encode the raw inputs as ``pre.transform`` does; returns the graph inputs
    (``(name, elem type, shape)``) and the name of the encoded (N, n_features) value."""
    from onnx import TensorProto

    numeric, categorical = _split_columns(pre)
    inputs, parts, order = [], [], []   # order: where each encoded input goes
    position, start = {}, 0
    for c in pre.columns:
        position[c["name"]] = start
        start += len(c["categories"]) if c["scale"] == "onehot" else 1
    if numeric:
        inputs.append((INPUT, TensorProto.FLOAT, ["N", len(numeric)]))
        x = INPUT
        fills = [np.nan if c["fill"] is None else c["fill"] for c in numeric]
        if any(c["fill"] is not None for c in numeric):
            x = g.op("Where", [g.op("IsNaN", [x], "raw_missing"), g.const("fill", fills), x],
                     "imputed")
        centers = g.const("center", [c["center"] for c in numeric])
        widths = g.const("width", [c["width"] for c in numeric])
        parts.append(g.op("Div", [g.op("Sub", [x, centers], "centered"), widths], "scaled"))
        order += [position[c["name"]] for c in numeric]
    if categorical:
        inputs.append((CATEGORIES, TensorProto.STRING, ["N", len(categorical)]))
    for k, c in enumerate(categorical):
        cats = list(c["categories"])
        words = cats + [w for w in MISSING_WORDS if w not in cats]
        width = 1 if c["scale"] == "binary" else len(cats)
        # one-hot over categories and missing words -> the encoded block, by one MatMul
        table = np.zeros((len(words), width), np.float32)
        if c["scale"] == "binary":
            table[1, 0] = 1.0
            if c["fill"] == 1:
                table[len(cats):, 0] = 1.0
        else:
            table[np.arange(len(cats)), np.arange(len(cats))] = 1.0
            if c["fill"] is not None:
                table[len(cats):, c["fill"]] = 1.0
        base = f"column{k}"
        column = g.op("Gather", [CATEGORIES, g.const_int(f"{base}_index", k)], f"{base}_text",
                      axis=1)
        hot = g.op("OneHotEncoder", [column], f"{base}_onehot", domain="ai.onnx.ml",
                   cats_strings=words, zeros=1)
        block = g.op("MatMul", [hot, g.const(f"{base}_map", table)], f"{base}_encoded")
        if c["fill"] is None and width:
            flag = np.zeros((len(words), 1), np.float32)
            flag[len(cats):] = 1.0
            missing = g.op("Greater", [g.op("MatMul", [hot, g.const(f"{base}_missing_map", flag)],
                                            f"{base}_missing_count"),
                                       g.const(f"{base}_half", 0.5)], f"{base}_missing")
            block = g.op("Where", [missing, g.const(f"{base}_nan", np.nan), block],
                         f"{base}_checked")
        parts.append(block)
        start = position[c["name"]]
        order += list(range(start, start + width))
    features = parts[0] if len(parts) == 1 else g.op("Concat", parts, "encoded", axis=1)
    if order != list(range(len(order))):
        # Gather's indices say, for each network input, where Concat put it
        features = g.op("Gather", [features, g.const_int("feature_order", np.argsort(order))],
                        "features", axis=1)
    return inputs, features


def _describe(pre) -> str:
    numeric, categorical = _split_columns(pre)
    lines = ["NN Studio network with its preprocessing: feed the raw columns."]
    if numeric:
        lines.append(f"input '{INPUT}' float32 (N, {len(numeric)}): "
                     + ", ".join(c["name"] for c in numeric)
                     + " (NaN where missing; imputed as fitted where training imputed, "
                       "else the outputs are NaN).")
    if categorical:
        lines.append(f"input '{CATEGORIES}' string (N, {len(categorical)}): "
                     + ", ".join(c["name"] for c in categorical)
                     + " (text with surrounding spaces stripped; '' or NA/N/A/n/a/NaN/nan/?/"
                       "null/NULL/None where missing; a category unseen in training gives an "
                       "all-zero one-hot block).")
    return "\n".join(lines)


def to_model(net, name: str = "nnstudio", preprocessor=None):
    """The ONNX model of ``net``'s current weights (evaluation mode).

    Parameters
    ----------
    net : engine.network.Network
        A built network (float32 or float64; the model computes in float32).
    name : str
        The graph's name.
    preprocessor : engine.data.preprocessing.Preprocessor, optional
        The preprocessing the network's inputs were encoded with: the model then takes the
        raw columns (see the module docstring) and encodes them as ``transform`` does.

    Returns
    -------
    onnx.ModelProto
        Checked with ``onnx.checker.check_model``.  Without a preprocessor: input
        ``"input"`` (N, n_features); with one: ``"input"`` (N, n_numeric) and / or
        ``"categories"`` (N, n_categorical).  Output ``"output"`` (N, n_outputs).

    Raises
    ------
    ImportError
        When the ``onnx`` package is not installed.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    g = _Graph(helper, numpy_helper)
    inputs = [(INPUT, TensorProto.FLOAT, ["N", net.n_features])]
    if preprocessor is not None:
        if preprocessor.n_features != net.n_features:
            raise ValueError(f"the preprocessor encodes {preprocessor.n_features} inputs, but "
                             f"the network takes {net.n_features}")
        inputs, g.features = _preprocessing(g, preprocessor)
    weights = net.get_weights()
    values: dict[str, str] = {}
    for node in walk(net):
        values[node.id] = LAYERS[node.layer.name](g, node, [values[i] for i in node.inputs],
                                                  weights)
    g.nodes.append(helper.make_node("Identity", [values[net.output_id]], [OUTPUT],
                                    name=OUTPUT))
    graph = helper.make_graph(
        g.nodes, name,
        [helper.make_tensor_value_info(n, kind, shape) for n, kind, shape in inputs],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["N", net.n_outputs])],
        g.initializers)
    opsets = [helper.make_opsetid("", OPSET)]
    if preprocessor is not None:
        opsets.append(helper.make_opsetid("ai.onnx.ml", ML_OPSET))
    model = helper.make_model(graph, producer_name="nnstudio", opset_imports=opsets)
    model.ir_version = 8  # the IR of opset 17: runtimes from 2022 on read it
    if preprocessor is not None:
        model.doc_string = _describe(preprocessor)
        numeric, categorical = _split_columns(preprocessor)
        helper.set_model_props(model, {
            "numeric_columns": json.dumps([c["name"] for c in numeric]),
            "categorical_columns": json.dumps([c["name"] for c in categorical]),
            "feature_names": json.dumps(preprocessor.feature_names)})
    onnx.checker.check_model(model)
    return model


def save(net, path: str | os.PathLike, preprocessor=None) -> None:
    """Write ``to_model(net, preprocessor=preprocessor)`` to ``path`` (an ``.onnx`` file)."""
    import onnx

    onnx.save(to_model(net, os.path.splitext(os.path.basename(os.fspath(path)))[0],
                       preprocessor), path)
