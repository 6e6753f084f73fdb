"""A trained network as a standalone, readable PyTorch script.

``save(net, "model.py", training=..., x=..., y=...)`` writes three files side by side:

``model.py``
    Imports only ``numpy`` and ``torch``.  It defines ``Model(torch.nn.Module)`` with one
    attribute per layer (named after the node id) and a ``forward`` that follows the graph;
    ``load_model()`` builds it and loads the trained weights; ``train(model, epochs)`` is a
    training loop with the project's loss, optimizer (``torch.optim`` with the same
    hyper-parameters), schedule, batch size, gradient clipping and validation split.
    ``python model.py [--epochs N] [--device cuda]`` trains and saves ``model.pt``.
``model_weights.npz``
    The weights, keyed by the module's ``state_dict`` names (``hidden1.weight``; ``.npz``:
    plain arrays, no pickles, readable by NumPy alone).
``model_data.npz``
    The training data as the engine trained on it: ``x`` (N, F) float and ``y`` (class
    indices, one-hot rows, a 0/1 column, or values, as the loss takes them), with the
    project's test split, if any, already held out.

With ``source=`` (a table's data: a built-in dataset or a CSV) the script reads the raw
CSV instead of ``model_data.npz``:

``model_data.csv``
    A copy of the CSV the project trained on.  The script reads it with :mod:`csv` and
    applies the preprocessing NN Studio fitted on the training rows, written into the script
    as readable constants (``COLUMNS``: per column its kind, imputed value, center and width
    or categories): ``(x - center) / width`` for numbers, one-hot for categories (an unseen
    one gives zeros), a missing value imputed as fitted, or the row left out where training
    left such rows out.  ``preprocess(header, rows)`` and ``predict_csv(path)`` do this for
    any CSV with the same columns.
``model_split.json``
    The data rows (0 = the first row below the header) that NN Studio held out for testing
    (``test``) and validation (``validation``); the script trains on the other usable rows.

The weights are exactly the engine's (``torch.nn.Linear`` and ``BatchNorm1d`` share their
layout), so ``load_model()(x)`` equals ``Network.predict(x)`` to float rounding.
Mapping of names: optimizers ``beta1, beta2`` -> ``betas``, ``gd`` -> ``SGD`` on the whole
training set per step; schedules ``step`` -> ``StepLR``, ``exponential`` -> ``ExponentialLR``,
``cosine`` -> ``CosineAnnealingLR``, ``reduce_on_plateau`` -> ``ReduceLROnPlateau``.
When the output activation is the loss's partner (softmax with the cross-entropies, sigmoid
with binary cross-entropy) the loop trains on logits with ``CrossEntropyLoss`` /
``BCEWithLogitsLoss``, as the engine does.  Early stopping is not exported.
"""

from __future__ import annotations

import copy
import json
import keyword
import os
import re
from pathlib import Path

import numpy as np

from .. import losses as loss_registry
from .. import optimizers as optimizer_registry
from .. import schedules as schedule_registry
from .graph import walk

__all__ = ["save", "script", "attribute_names", "MISSING_WORDS"]

# what NN Studio's CSV reader takes for a missing value (engine.data.csv_import.MISSING)
MISSING_WORDS = ("", "NA", "N/A", "n/a", "NaN", "nan", "?", "null", "NULL", "None")

# nn.Module attributes a layer must not shadow
_RESERVED = {"forward", "training", "train", "eval", "to", "cuda", "cpu", "float", "double",
             "half", "type", "apply", "state_dict", "load_state_dict", "parameters",
             "buffers", "children", "modules", "named_parameters", "named_buffers",
             "named_children", "named_modules", "zero_grad", "register_buffer",
             "register_parameter", "add_module", "requires_grad_", "extra_repr", "x",
             "logits", "self", "torch", "nn", "np", "dump_patches", "call_super_init"}

# activation registry name -> torch.nn expression (from the activation instance)
ACTIVATIONS = {
    "sigmoid": lambda a: "nn.Sigmoid()",
    "tanh": lambda a: "nn.Tanh()",
    "relu": lambda a: "nn.ReLU()",
    "leaky_relu": lambda a: f"nn.LeakyReLU(negative_slope={a.negative_slope!r})",
    "elu": lambda a: f"nn.ELU(alpha={a.alpha!r})",
    "swish": lambda a: "nn.SiLU()",
    "linear": lambda a: None,
    "softmax": lambda a: "nn.Softmax(dim=-1)",
    "gelu": lambda a: "nn.GELU()",
    "selu": lambda a: "nn.SELU()",
    "softplus": lambda a: f"nn.Softplus(beta={a.beta!r}, threshold={a.threshold!r})",
}

# loss name -> (expression on logits when fused, expression on outputs otherwise)
LOSSES = {
    "sparse_categorical_crossentropy": (
        "nn.functional.cross_entropy(out, y)",
        "nn.functional.nll_loss(torch.log(out).clamp(min=-100), y)"),
    "categorical_crossentropy": (
        "nn.functional.cross_entropy(out, y)",
        "-(y * torch.log(out).clamp(min=-100)).sum(dim=1).mean()"),
    "binary_crossentropy": (
        "nn.functional.binary_cross_entropy_with_logits(out, y)",
        "nn.functional.binary_cross_entropy(out, y)"),
    "mse": (None, "nn.functional.mse_loss(out, y)"),
    "mae": (None, "nn.functional.l1_loss(out, y)"),
    "rmse": (None, "torch.sqrt(nn.functional.mse_loss(out, y))"),
    "huber": (None, "nn.functional.huber_loss(out, y, delta={delta!r})"),
}


# the class-weighted forms (``w``: CLASS_WEIGHT, ``r``: POS_WEIGHT as tensors), torch's
# ``weight`` / ``pos_weight`` semantics, which the engine's weighted losses follow
WEIGHTED_LOSSES = {
    "sparse_categorical_crossentropy": (
        "nn.functional.cross_entropy(out, y, weight=w)",
        "nn.functional.nll_loss(torch.log(out).clamp(min=-100), y, weight=w)"),
    "categorical_crossentropy": (
        "nn.functional.cross_entropy(out, y, weight=w)",
        "-(w * y * torch.log(out).clamp(min=-100)).sum(dim=1).mean()"),
    "binary_crossentropy": (
        "nn.functional.binary_cross_entropy_with_logits(out, y, weight=w, pos_weight=r)",
        "-(w * (r * y * torch.log(out).clamp(min=-100)"
        " + (1 - y) * torch.log(1 - out).clamp(min=-100))).mean()"),
}


def _same(config: dict) -> dict:
    return config


def _betas(config: dict) -> dict:
    """``beta1, beta2`` -> ``betas=(beta1, beta2)``, in beta1's place."""
    return {("betas" if k == "beta1" else k): ((v, config["beta2"]) if k == "beta1" else v)
            for k, v in config.items() if k != "beta2"}


# engine optimizer name -> (torch.optim class, engine config -> torch keyword arguments)
OPTIMIZERS = {
    "sgd": ("SGD", _same), "gd": ("SGD", _same), "momentum": ("SGD", _same),
    "nag": ("SGD", _same), "adagrad": ("Adagrad", _same), "rmsprop": ("RMSprop", _same),
    "adadelta": ("Adadelta", _same), "adam": ("Adam", _betas), "adamw": ("AdamW", _betas),
    "nadam": ("NAdam", _betas),
}

# engine schedule name -> (torch.optim.lr_scheduler class or None, config renames)
SCHEDULES = {
    "constant": (None, {}), "step": ("StepLR", {}), "exponential": ("ExponentialLR", {}),
    "cosine": ("CosineAnnealingLR", {"t_max": "T_max"}),
    "reduce_on_plateau": ("ReduceLROnPlateau", {}),
}


def attribute_names(net) -> dict[str, str]:
    """Node id -> a Python identifier for its module attribute (unique, readable)."""
    names, taken = {}, set()
    for node in walk(net):
        base = re.sub(r"\W", "_", node.id) or "layer"
        if base[0].isdigit() or keyword.iskeyword(base) or base in _RESERVED:
            base = f"layer_{base}"
        name, i = base, 1
        while name in taken or f"{name}_act" in taken:
            i += 1
            name = f"{base}_{i}"
        taken.update({name, f"{name}_act"})
        names[node.id] = name
    return names


def _kwargs(config: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in config.items())


def _model_source(net, attrs: dict[str, str], fused: bool) -> list[str]:
    init, body = [], []
    var = {}
    for node in walk(net):
        a, layer, kind = attrs[node.id], node.layer, node.layer.name
        ins = [var[i] for i in node.inputs]
        out = f"h_{a}"
        if kind == "input":
            var[node.id] = "x"
            continue
        if kind == "dense":
            bias = "" if layer.use_bias else ", bias=False"
            init.append(f"self.{a} = nn.Linear({layer.input_units[0]}, {node.units}{bias})")
            expr = f"self.{a}({ins[0]})"
        elif kind == "activation":
            expr = ins[0]
        elif kind == "dropout":
            init.append(f"self.{a} = nn.Dropout(p={layer.rate!r})")
            expr = f"self.{a}({ins[0]})"
        elif kind == "batch_norm":
            init.append(f"self.{a} = nn.BatchNorm1d({node.units}, eps={layer.eps!r}, "
                        f"momentum={layer.momentum!r})")
            expr = f"self.{a}({ins[0]})"
        elif kind == "add":
            expr = " + ".join(ins)
        elif kind == "concatenate":
            expr = f"torch.cat([{', '.join(ins)}], dim=1)"
        else:  # pragma: no cover - every registered layer is handled above
            raise ValueError(f"cannot export layer type {kind!r} to PyTorch")
        act = ACTIVATIONS[layer.activation.name](layer.activation) if layer.activation else None
        if act is not None:
            name = a if kind == "activation" else f"{a}_act"
            init.append(f"self.{name} = {act}")
            if node.id == net.output_id and fused:
                body.append(f"{out} = {expr}")
                body.append("if logits:")
                body.append(f"    return {out}")
                expr = out
            expr = f"self.{name}({expr})"
        body.append(f"{out} = {expr}")
        var[node.id] = out
    body.append(f"return {var[net.output_id]}")
    return init, body


_NPZ_DATA = '''
def load_data(device="cpu"):
    """Training and validation tensors (the validation rows drawn at random by SEED, as NN
    Studio draws them)."""
    with np.load(DATA, allow_pickle=False) as arrays:
        x, y = arrays["x"], arrays["y"]
    order = np.random.default_rng([SEED, 1]).permutation(len(x))
    n_val = round(len(x) * VALIDATION_SPLIT)
    val, train = order[:n_val], order[n_val:]
    return (*_tensors(x[train], y[train], device), *_tensors(x[val], y[val], device))
'''

_CSV_DATA = '''
def read_rows(path=DATA):
    """The header (column names) and the data rows of a CSV, as NN Studio reads them: blank
    lines skipped, names stripped, an unnamed column called "column <n>", a repeated name
    suffixed "_2", "_3", ..."""
    with open(path, newline="", encoding=ENCODING) as f:
        rows = [r for r in csv.reader(f, delimiter=DELIMITER, quotechar=QUOTECHAR) if r]
    width = len(rows[0]) if rows else 0
    if HEADER:
        names, rows = [v.strip() for v in rows[0]], rows[1:]
    else:
        names = [""] * width
    header, seen = [], {}
    for j, name in enumerate(names):
        name = name or f"column {j + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        seen.setdefault(name, 1)
        header.append(name)
    rows = [r for r in rows if not (len(r) == 1 and not r[0].strip() and width > 1)]
    return header, rows


def _cells(header, rows, name):
    if name not in header:
        raise SystemExit(f"the CSV has no column {name!r}, which the model needs")
    j = header.index(name)
    cells = [r[j].strip() if j < len(r) else "" for r in rows]
    return cells, np.array([c in MISSING for c in cells], dtype=bool)


def preprocess(header, rows):
    """The network inputs of ``rows`` as NN Studio encodes them, and which rows can be
    encoded (False: a value is missing where training left such rows out).

    Returns x (float32, one row per data row; rows that cannot be encoded hold NaN or
    zeros) and usable (bool)."""
    usable = np.ones(len(rows), dtype=bool)
    blocks = []
    for column in COLUMNS:
        cells, missing = _cells(header, rows, column["name"])
        if column["fill"] is None:
            usable &= ~missing
        if column["kind"] == "numeric":
            x = np.array([np.nan if m else float(c) for c, m in zip(cells, missing)],
                         dtype=np.float32)
            if column["fill"] is not None:
                x[missing] = np.float32(column["fill"])
            blocks.append(((x - np.float32(column["center"]))
                           / np.float32(column["width"]))[:, None])
            continue
        lookup = {c: k for k, c in enumerate(column["categories"])}
        # -1: missing, -2: a category the training rows never had (its inputs stay 0)
        index = np.array([-1 if m else lookup.get(c, -2) for c, m in zip(cells, missing)],
                         dtype=np.int64)
        if column["fill"] is not None:
            index[index == -1] = column["fill"]
        if column["kind"] == "boolean":
            blocks.append((index == 1).astype(np.float32)[:, None])
        else:
            blocks.append((index[:, None] == np.arange(len(column["categories"])))
                          .astype(np.float32))
    x = np.concatenate(blocks, axis=1) if blocks else np.zeros((len(rows), 0), np.float32)
    return x, usable


def targets(header, rows):
    """The target of every row in the loss's form, and which rows have one."""
    cells, missing = _cells(header, rows, TARGET)
    has = ~missing
    if TASK == "regression":
        y = np.array([[np.nan if m else float(c)] for c, m in zip(cells, missing)],
                     dtype=np.float32)
        return y, has
    if NUMERIC_CLASSES:  # labels written as numbers: compare them as numbers
        levels = {float(c): k for k, c in enumerate(CLASS_NAMES)}
        labels = [-1 if m else levels[float(c)] for c, m in zip(cells, missing)]
    else:
        levels = {c: k for k, c in enumerate(CLASS_NAMES)}
        labels = [-1 if m else levels[c] for c, m in zip(cells, missing)]
    y = np.array(labels, dtype=np.int64)
    if TARGET_FORM == "onehot":
        return (y[:, None] == np.arange(len(CLASS_NAMES))).astype(np.float32), has
    if TARGET_FORM == "column":
        return y.astype(np.float32)[:, None], has
    return y, has


def load_data(device="cpu", path=DATA):
    """Training and validation tensors from the CSV: its rows encoded by ``preprocess``,
    without the rows NN Studio held out for testing, split as NN Studio split them."""
    header, rows = read_rows(path)
    x, usable = preprocess(header, rows)
    y, has_target = targets(header, rows)
    with open(SPLIT, encoding="utf-8") as f:
        split = json.load(f)
    role = np.zeros(len(rows), dtype=np.int64)  # 0 train, 1 validation, 2 test
    role[split["validation"]] = 1
    role[split["test"]] = 2
    usable &= has_target
    train = np.flatnonzero(usable & (role == 0))
    val = np.flatnonzero(usable & (role == 1))
    return (*_tensors(x[train], y[train], device), *_tensors(x[val], y[val], device))


def predict_csv(path, model=None):
    """The model's outputs for every data row of a CSV with the training data's columns
    (NaN rows where a value is missing that training would have left out)."""
    model = model or load_model()
    header, rows = read_rows(path)
    x, usable = preprocess(header, rows)
    with torch.no_grad():
        out = model(torch.as_tensor(x, dtype=DTYPE)).numpy()
    out[~usable] = np.nan
    return out
'''


class _Float32:
    """A number written as the shortest text that reads back as the same float32 (the script
    computes with ``np.float32(...)`` of it), not the float64 digits of that float32."""

    def __init__(self, value: float):
        self.value = value

    def __repr__(self) -> str:
        return str(np.float32(self.value))


def _columns_source(preprocessor) -> str:
    """``COLUMNS = [...]``: the fitted preprocessing, one readable line per column."""
    lines = ["COLUMNS = ["]
    for c in preprocessor.columns:
        entry = {"name": c["name"], "kind": c["kind"], "fill": c["fill"]}
        if c["kind"] == "numeric":
            entry.update({k: None if c[k] is None else _Float32(c[k])
                          for k in ("fill", "center", "width")})
        else:
            entry["categories"] = list(c["categories"])
        lines.append(f"    {entry!r},")
    lines.append("]")
    return "\n".join(lines)


def script(net, training: dict, stem: str = "model", preprocessor=None,
           source: dict | None = None) -> str:
    """The source text of the script (see the module docstring).

    Parameters
    ----------
    net : engine.network.Network
    training : dict
        The project's training settings (``TrainingSettings.to_dict()``: loss, optimizer,
        schedule, epochs, batch_size, validation_split, seed, clip_norm, clip_value, dtype).
    stem : str
        File name stem: the script reads ``<stem>_weights.npz`` and ``<stem>_data.npz``
        (or, with ``source``, ``<stem>_data.csv`` and ``<stem>_split.json``) from its own
        folder.
    preprocessor : engine.data.preprocessing.Preprocessor, optional
        With ``source``: the fitted preprocessing, written into the script as constants.
    source : dict, optional
        How to read the raw CSV (see :func:`save`).
    """
    loss = loss_registry.get(copy.deepcopy(training["loss"]))
    fused = net.fused_with(loss)
    attrs = attribute_names(net)
    init, body = _model_source(net, attrs, fused)
    loss_expr = LOSSES[loss.name][0 if fused else 1].format(**loss.config())
    config = loss.config()
    class_weight, pos_weight = config.get("weight"), config.get("pos_weight")
    weight_lines = []
    if class_weight is not None or pos_weight is not None:
        loss_expr = WEIGHTED_LOSSES[loss.name][0 if fused else 1]
        for var, const, value in (("w", "CLASS_WEIGHT", class_weight),
                                  ("r", "POS_WEIGHT", pos_weight)):
            if var in loss_expr:
                weight_lines.append(
                    f"{var} = torch.tensor({const}, dtype=out.dtype, device=out.device)"
                    if value is not None else f"{var} = None  # {const}: not weighted")
                if var == "r" and value is None and not fused:
                    weight_lines[-1] = f"{var} = 1.0"
                if var == "w" and value is None and not fused:
                    weight_lines[-1] = f"{var} = 1.0"
    weight_consts = ""
    if class_weight is not None:
        weight_consts += f"CLASS_WEIGHT = {list(class_weight)!r}  # the loss's class weights\n"
    if pos_weight is not None:
        weight_consts += f"POS_WEIGHT = {list(pos_weight)!r}  # weight of the positive term\n"
    penalties = []
    for node in walk(net):
        if node.layer.name == "dense":
            w = f"model.{attrs[node.id]}.weight"
            if node.layer.l1:
                penalties.append(f"{node.layer.l1!r} * {w}.abs().sum()")
            if node.layer.l2:
                penalties.append(f"{node.layer.l2!r} * {w}.pow(2).sum()")
    opt = optimizer_registry.get(copy.deepcopy(training["optimizer"]))
    opt_config = optimizer_registry.OPTIMIZERS.to_config(opt)
    opt_config.pop("name")
    torch_opt, translate = OPTIMIZERS[opt.name]
    opt_config = translate(opt_config)
    schedule = schedule_registry.get(copy.deepcopy(training["schedule"]))
    sched_cls, renames = SCHEDULES[schedule.name]
    sched_config = {renames.get(k, k): v for k, v in schedule.config().items()}
    y_kind = ("long" if loss.name == "sparse_categorical_crossentropy" else "float")
    full_batch = bool(getattr(opt, "full_batch", False))
    dtype = "float64" if training.get("dtype") == "float64" else "float32"

    def block(lines, indent):
        return "\n".join(" " * indent + line for line in lines)

    if source is None:
        data_doc = f"the training data in {stem}_data.npz (x, y)."
        data_consts = f'DATA = HERE / "{stem}_data.npz"'
        data_code = _NPZ_DATA
        imports = ""
    else:
        classes = source["task"] == "classification"
        data_doc = (f"the training data in {stem}_data.csv\n(read and preprocessed below), "
                    f"the rows NN Studio held out in {stem}_split.json.")
        data_consts = f'''DATA = HERE / "{stem}_data.csv"
SPLIT = HERE / "{stem}_split.json"

# how the CSV is written
ENCODING = {source["encoding"]!r}
DELIMITER = {source["delimiter"]!r}
QUOTECHAR = {source["quotechar"] or None!r}
HEADER = {bool(source["header"])!r}
MISSING = {{{", ".join(map(repr, MISSING_WORDS))}}}  # cells (stripped) that mean "missing"

# the target ({source["task"]}{"; CLASS_NAMES: class index -> label" if classes else ""})
TARGET = {source["target"]!r}
TASK = {source["task"]!r}
CLASS_NAMES = {list(source.get("class_names") or [])!r}
NUMERIC_CLASSES = {bool(source.get("numeric_classes"))!r}
TARGET_FORM = {source.get("target_form", "values")!r}  # index, onehot, column or values

# the preprocessing NN Studio fitted on the training rows, one entry per input column in
# the network's order. numeric: x -> (x - center) / width, a missing x replaced by fill
# first; categorical: one input per category (1 for the row's, else 0; an unseen category
# gives all zeros); boolean: one input, 1 for the second (true) category; fill is the
# imputed value or category index, None where training left rows with a missing value out
{_columns_source(preprocessor)}'''
        data_code = _CSV_DATA
        imports = "import csv\nimport json\n"

    return f'''"""{stem}.py: a network exported from NN Studio, as a standalone PyTorch script.

Needs only numpy and torch.  The trained weights lie beside this file in
{stem}_weights.npz (state_dict names), {data_doc}

    python {stem}.py --epochs 10 [--device cuda]    # train further, save {stem}.pt
"""

import argparse
{imports}import math
from pathlib import Path

import numpy as np
import torch
from torch import nn

HERE = Path(__file__).resolve().parent
WEIGHTS = HERE / "{stem}_weights.npz"
{data_consts}
DTYPE = torch.{dtype}

# the project's training settings
EPOCHS = {int(training["epochs"])!r}
BATCH_SIZE = {int(training["batch_size"])!r}{"  # gd: the whole training set per step" if full_batch else ""}
FULL_BATCH = {full_batch!r}
VALIDATION_SPLIT = {float(training["validation_split"])!r}
SEED = {int(training["seed"])!r}
CLIP_NORM = {training.get("clip_norm")!r}
CLIP_VALUE = {training.get("clip_value")!r}
{weight_consts}
class Model(nn.Module):
    """The network of the NN Studio project (forward follows its graph)."""

    def __init__(self):
        super().__init__()
{block(init, 8) if init else "        pass"}

    def forward(self, x, logits=False):
        """Outputs as NN Studio's predict gives them{"; logits=True skips the output activation" if fused else ""}."""
{block(body, 8)}


def load_model(device="cpu"):
    """The model with the exported weights, in evaluation mode."""
    model = Model().to(DTYPE)
    with np.load(WEIGHTS, allow_pickle=False) as arrays:
        state = {{name: torch.from_numpy(arrays[name]) for name in arrays.files}}
    for name, tensor in model.state_dict().items():
        if name.endswith("num_batches_tracked"):  # BatchNorm1d's counter: not exported
            state[name] = tensor
    model.load_state_dict(state)
    return model.to(device).eval()


def loss_fn(model, out, y):
    """The project's loss (plus the layers' L1/L2 penalties)."""
{block(weight_lines, 4) + chr(10) if weight_lines else ""}    loss = {loss_expr}
{block([f"loss = loss + {p}" for p in penalties], 4) if penalties else "    # no L1/L2 penalties"}
    return loss


def make_optimizer(model):
    return torch.optim.{torch_opt}(model.parameters(), {_kwargs(opt_config)})


def make_schedule(optimizer):
    {f"return torch.optim.lr_scheduler.{sched_cls}(optimizer, {_kwargs(sched_config)})" if sched_cls else "return None  # constant learning rate"}


def _tensors(x, y, device):
    x = torch.as_tensor(x, dtype=DTYPE, device=device)
    y = torch.as_tensor(y, device=device).{y_kind}()
    if y.is_floating_point():
        y = y.to(DTYPE)
    return x, y

{data_code}

def train(model, epochs=EPOCHS, device="cpu"):
    """Train ``model`` with the project's settings; prints one line per epoch."""
    x, y, xv, yv = load_data(device)
    optimizer = make_optimizer(model)
    schedule = make_schedule(optimizer)
    batch = len(x) if FULL_BATCH else BATCH_SIZE
    generator = torch.Generator().manual_seed(SEED)
    for epoch in range(epochs):
        model.train()
        total = 0.0
        for idx in torch.randperm(len(x), generator=generator).split(batch):
            idx = idx.to(device)
            out = model(x[idx]{", logits=True" if fused else ""})
            loss = loss_fn(model, out, y[idx])
            optimizer.zero_grad()
            loss.backward()
            if CLIP_NORM is not None:
                nn.utils.clip_grad_norm_(model.parameters(), CLIP_NORM)
            if CLIP_VALUE is not None:
                nn.utils.clip_grad_value_(model.parameters(), CLIP_VALUE)
            optimizer.step()
            total += loss.item() * len(idx)
        line = f"epoch {{epoch + 1}}/{{epochs}}  loss {{total / len(x):.4f}}"
        monitored = total / len(x)
        if len(xv):
            model.eval()
            with torch.no_grad():
                monitored = float(loss_fn(model, model(xv{", logits=True" if fused else ""}), yv))
            line += f"  val_loss {{monitored:.4f}}"
        if isinstance(schedule, torch.optim.lr_scheduler.ReduceLROnPlateau):
            schedule.step(monitored)
        elif schedule is not None:
            schedule.step()
        print(line)
    return model.eval()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.manual_seed(SEED)
    model = train(load_model(args.device), args.epochs, args.device)
    torch.save(model.state_dict(), HERE / "{stem}.pt")
    print(f"saved {{HERE / '{stem}.pt'}}")


if __name__ == "__main__":
    main()
'''


def save(net, path: str | os.PathLike, *, training: dict, x: np.ndarray,
         y: np.ndarray, preprocessor=None, source: dict | None = None) -> list[Path]:
    """Write the script, its weights and its data (see the module docstring).

    Parameters
    ----------
    net : engine.network.Network
        The trained network.
    path : str or path-like
        The script's path (``model.py``); ``model_weights.npz`` and ``model_data.npz`` go
        beside it.
    training : dict
        The training settings (``TrainingSettings.to_dict()``).
    x, y : ndarray
        The training data as ``engine.training.fit`` receives it (written to
        ``<stem>_data.npz`` when there is no ``source``).
    preprocessor : engine.data.preprocessing.Preprocessor, optional
        The fitted preprocessing (needed with ``source``).
    source : dict, optional
        The raw CSV the script reads instead: ``data`` (its bytes), ``encoding``,
        ``delimiter``, ``quotechar``, ``header`` (the dialect NN Studio read it with),
        ``target``, ``task``, ``class_names``, ``numeric_classes`` (labels written as
        numbers), ``target_form`` ("index", "onehot", "column" or "values": the loss's form
        of the targets), ``test`` and ``validation`` (data row indices held out).

    Returns
    -------
    list of Path
        The files written: script, weights, and data (``.npz``, or ``.csv`` and
        ``_split.json``).
    """
    path = Path(path)
    stem = path.stem if path.suffix == ".py" else path.name
    if not stem.isidentifier():
        stem = re.sub(r"\W", "_", stem)
    attrs = attribute_names(net)
    weights = {}
    for name, array in net.get_weights().items():
        node, param = name.rsplit(".", 1)
        weights[f"{attrs[node]}.{param}"] = np.ascontiguousarray(array)
    folder = path.parent
    weights_path = folder / f"{stem}_weights.npz"
    path.write_text(script(net, training, stem, preprocessor, source), encoding="utf-8")
    np.savez(weights_path, **weights)
    if source is None:
        data_path = folder / f"{stem}_data.npz"
        np.savez(data_path, x=np.asarray(x), y=np.asarray(y))
        return [path, weights_path, data_path]
    if preprocessor is None:
        raise ValueError("a script that reads the raw CSV needs its preprocessor")
    data_path = folder / f"{stem}_data.csv"
    split_path = folder / f"{stem}_split.json"
    data_path.write_bytes(source["data"])
    split_path.write_text(json.dumps({"test": [int(i) for i in source["test"]],
                                      "validation": [int(i) for i in source["validation"]]}),
                          encoding="utf-8")
    return [path, weights_path, data_path, split_path]
