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
import keyword
import os
import re
from pathlib import Path

import numpy as np

from .. import losses as loss_registry
from .. import optimizers as optimizer_registry
from .. import schedules as schedule_registry
from .graph import walk

__all__ = ["save", "script", "attribute_names"]

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


def script(net, training: dict, stem: str = "model") -> str:
    """The source text of the script (see the module docstring).

    Parameters
    ----------
    net : engine.network.Network
    training : dict
        The project's training settings (``TrainingSettings.to_dict()``: loss, optimizer,
        schedule, epochs, batch_size, validation_split, seed, clip_norm, clip_value, dtype).
    stem : str
        File name stem: the script reads ``<stem>_weights.npz`` and ``<stem>_data.npz``
        from its own folder.
    """
    loss = loss_registry.get(copy.deepcopy(training["loss"]))
    fused = net.fused_with(loss)
    attrs = attribute_names(net)
    init, body = _model_source(net, attrs, fused)
    loss_expr = LOSSES[loss.name][0 if fused else 1].format(**loss.config())
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

    return f'''"""{stem}.py: a network exported from NN Studio, as a standalone PyTorch script.

Needs only numpy and torch.  The trained weights lie beside this file in
{stem}_weights.npz (state_dict names), the training data in {stem}_data.npz (x, y).

    python {stem}.py --epochs 10 [--device cuda]    # train further, save {stem}.pt
"""

import argparse
import math
from pathlib import Path

import numpy as np
import torch
from torch import nn

HERE = Path(__file__).resolve().parent
WEIGHTS = HERE / "{stem}_weights.npz"
DATA = HERE / "{stem}_data.npz"
DTYPE = torch.{dtype}

# the project's training settings
EPOCHS = {int(training["epochs"])!r}
BATCH_SIZE = {int(training["batch_size"])!r}{"  # gd: the whole training set per step" if full_batch else ""}
FULL_BATCH = {full_batch!r}
VALIDATION_SPLIT = {float(training["validation_split"])!r}
SEED = {int(training["seed"])!r}
CLIP_NORM = {training.get("clip_norm")!r}
CLIP_VALUE = {training.get("clip_value")!r}


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
    loss = {loss_expr}
{block([f"loss = loss + {p}" for p in penalties], 4) if penalties else "    # no L1/L2 penalties"}
    return loss


def make_optimizer(model):
    return torch.optim.{torch_opt}(model.parameters(), {_kwargs(opt_config)})


def make_schedule(optimizer):
    {f"return torch.optim.lr_scheduler.{sched_cls}(optimizer, {_kwargs(sched_config)})" if sched_cls else "return None  # constant learning rate"}


def load_data(device="cpu"):
    """Training and validation tensors (the validation rows drawn at random by SEED)."""
    with np.load(DATA, allow_pickle=False) as arrays:
        x, y = arrays["x"], arrays["y"]
    x = torch.as_tensor(x, dtype=DTYPE, device=device)
    y = torch.as_tensor(y, device=device).{y_kind}()
    if y.is_floating_point():
        y = y.to(DTYPE)
    n_val = round(len(x) * VALIDATION_SPLIT)
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(SEED)).to(device)
    val, train = order[:n_val], order[n_val:]
    return x[train], y[train], x[val], y[val]


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
         y: np.ndarray) -> list[Path]:
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
        The training data as ``engine.training.fit`` receives it.

    Returns
    -------
    list of Path
        The three files written.
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
    data_path = folder / f"{stem}_data.npz"
    path.write_text(script(net, training, stem), encoding="utf-8")
    np.savez(weights_path, **weights)
    np.savez(data_path, x=np.asarray(x), y=np.asarray(y))
    return [path, weights_path, data_path]
