"""What each setting means, in our own words: activations, initializers, layer types and
layer parameters, keyed by their registry names.

Qt-free, so the command line and the documentation can use it too; the inspector turns the
texts into tooltips.  The first sentence of each text says what the thing *is*; the rest says
when to use it and what to watch for.  Tests check that every name in the engine's
activation, initializer and layer registries, and every layer parameter, has a text here: a
new entry fails until it is explained.
"""

from __future__ import annotations

import html

from engine import activations as _activations
from engine import initializers as _initializers
from engine import layers as _layers

__all__ = ["ACTIVATIONS", "INITIALIZERS", "LAYERS", "PARAMETERS", "activation", "initializer",
           "layer", "parameter", "summary", "tooltip"]

ACTIVATIONS: dict[str, str] = {
    "sigmoid": (
        "Squashes any number into the range 0 to 1 along an S-shaped curve, "
        "1 / (1 + e^-z). Because its outputs read as probabilities, it is the output "
        "activation for yes/no (binary) and multi-label problems. In hidden layers it is a "
        "poor choice: beyond about z = ±4 the curve is flat (it saturates), its slope is at "
        "most 0.25 even at the centre, and backpropagation multiplies these small slopes "
        "layer after layer, so the gradient vanishes before it reaches the first layers. Its "
        "outputs are also never negative, which slows learning down further."),
    "tanh": (
        "An S-shaped curve from -1 to 1, a stretched and shifted sigmoid. It is "
        "zero-centred and has slope 1 at the origin, so hidden layers learn faster with it "
        "than with sigmoid; a good choice for small networks like the classic playground. "
        "It still saturates: for |z| above about 3 its slope is almost 0, so deep stacks of "
        "tanh layers suffer from vanishing gradients. Pairs with Glorot initialization."),
    "relu": (
        "The rectified linear unit, max(0, z): positive inputs pass unchanged, negative "
        "ones become 0. It is cheap and its slope is exactly 1 for every positive input, so "
        "gradients do not shrink through deep stacks: the usual default for hidden layers. "
        "Its weakness is dying units: a unit whose weighted sum is negative for every sample "
        "always outputs 0 with slope 0, so no gradient reaches its weights and it never "
        "recovers. A too-high learning rate makes that more likely; a lower rate, leaky ReLU "
        "or ELU help. Pairs with He initialization."),
    "leaky_relu": (
        "Like ReLU, but negative inputs keep a small slope (0.01 z by default) instead of "
        "becoming 0. Every unit always passes some gradient back, so units cannot die. Try "
        "it when many ReLU units end up stuck at 0."),
    "elu": (
        "The exponential linear unit: the identity for positive inputs, and a smooth curve "
        "that levels off at -1 (alpha (e^z - 1), alpha = 1) for negative ones. The negative "
        "outputs pull the average activation towards zero and the slope on the left never "
        "reaches exactly 0, so units do not die. A little slower to compute than ReLU."),
    "swish": (
        "Swish (also called SiLU), z times sigmoid(z): close to ReLU for large |z|, but "
        "smooth, with a small dip below zero for moderately negative inputs. The smooth "
        "shape often lets deeper networks train a little better than with ReLU."),
    "linear": (
        "The identity: the output is the weighted sum itself, unbounded in both directions. "
        "It is the output activation for regression, where the network predicts numbers. In "
        "a hidden layer it adds nothing: a stack of linear layers is still one linear map "
        "and can only draw straight decision boundaries."),
    "softmax": (
        "Turns the output layer's scores into a probability distribution: every output lies "
        "between 0 and 1 and together they add up to 1, the highest score taking the "
        "largest share. It is the output activation for picking one class out of several, "
        "with (sparse) categorical cross-entropy. Unlike the others it is not applied to "
        "each unit on its own: every output depends on all scores of the layer, so the plot "
        "shows one unit's output while the other score stays at 0 (where it equals the "
        "sigmoid)."),
    "gelu": (
        "The Gaussian error linear unit, z times the probability that a standard normal "
        "value lies below z. A smooth, ReLU-like curve with a small dip below zero; the "
        "usual choice in Transformer models. Costs more to compute than ReLU."),
    "selu": (
        "The scaled exponential linear unit: ELU multiplied by about 1.0507, with alpha "
        "about 1.6733. These two constants are chosen so that, in a plain stack of dense "
        "layers with LeCun-normal weights, the activations keep a mean of 0 and a variance "
        "of 1 on their own (self-normalizing), without batch norm. Dropout and skip "
        "connections break that property."),
    "softplus": (
        "log(1 + e^z): a smooth version of ReLU that is always positive and whose slope is "
        "the sigmoid. Useful when an output must be positive (a rate, a spread); in hidden "
        "layers it usually learns more slowly than ReLU."),
}

INITIALIZERS: dict[str, str] = {
    "glorot_uniform": (
        "Glorot (Xavier) uniform: each weight is drawn evenly from -l to l with "
        "l = sqrt(6 / (inputs + outputs)). That scale keeps the spread of the signal going "
        "forward, and of the gradient coming back, about the same from layer to layer for "
        "S-shaped activations (tanh, sigmoid, softmax), for which it is the default."),
    "glorot_normal": (
        "Glorot (Xavier) normal: each weight is drawn from a bell curve around 0 with "
        "standard deviation sqrt(2 / (inputs + outputs)); the same aim as Glorot uniform."),
    "he_uniform": (
        "He (Kaiming) uniform: each weight is drawn evenly from -l to l with "
        "l = sqrt(6 / inputs). ReLU silences about half of its inputs, so He draws weights "
        "wider than Glorot to make up for it and keeps the signal from fading through deep "
        "ReLU stacks. The default for the ReLU family."),
    "he_normal": (
        "He (Kaiming) normal: each weight is drawn from a bell curve around 0 with "
        "standard deviation sqrt(2 / inputs); the same aim as He uniform."),
    "lecun_normal": (
        "LeCun normal: each weight is drawn from a bell curve around 0 with standard "
        "deviation sqrt(1 / inputs). The partner of SELU: together they make its "
        "self-normalizing property hold."),
    "zeros": (
        "Every weight starts at 0. Right for biases, wrong for weights: all units of a "
        "layer then compute the same thing and receive the same gradient, so they stay "
        "identical for ever (the symmetry between them is never broken)."),
    "ones": (
        "Every weight starts at 1. It has the same symmetry problem as zeros, and the large "
        "sums saturate S-shaped activations; useful for experiments only."),
    "normal": (
        "Small random weights from a bell curve around 0 (standard deviation 0.05 by "
        "default), whatever the size of the layer. Random values break the symmetry between "
        "units, but the fixed scale ignores how many inputs a unit adds up, so signals can "
        "fade or grow with depth; Glorot and He scale to the layer instead."),
    "uniform": (
        "Small random weights drawn evenly from -0.05 to 0.05 by default, whatever the size "
        "of the layer. Like normal, a fixed scale: fine for small networks, risky for deep "
        "ones."),
}

LAYERS: dict[str, str] = {
    "input": (
        "The input layer: the data enters here, one unit per feature (column) of the data. "
        "Leave its units empty to take them from the dataset."),
    "dense": (
        "A dense (fully connected) layer: every unit computes a weighted sum of all units "
        "of the layer before it, adds its bias and applies the activation. Stacked, dense "
        "layers make a multi-layer perceptron (MLP)."),
    "activation": (
        "A separate activation layer: applies an activation function to each value, with "
        "no weights of its own. Useful after an add or a batch norm layer."),
    "dropout": (
        "A dropout layer: while training, it silences a random share of the values passing "
        "through (the rate) and scales the others up so that their sum stays the same; when "
        "predicting it passes everything unchanged. No unit can rely on one particular other "
        "unit, so the network learns more robust features and overfits less."),
    "batch_norm": (
        "A batch normalization layer: rescales each unit to mean 0 and variance 1 over the "
        "current batch, then applies a learned scale and shift. It keeps the next layer's "
        "inputs in a steady range, which allows higher learning rates and makes deep "
        "networks less sensitive to their initial weights. While training it needs batches "
        "of at least 2 samples; when predicting it uses running averages instead."),
    "add": (
        "An add layer: sums its inputs unit by unit, so they must have the same number of "
        "units. This is the skip (residual) connection: the layers it skips only have to "
        "learn a correction, and gradients get a short way back to the early layers."),
    "concatenate": (
        "A concatenate layer: puts its inputs side by side; its units are the sum of its "
        "inputs' units. It lets a later layer see features from several branches at once."),
}

PARAMETERS: dict[str, str] = {
    "units": (
        "How many neurons (units) the layer has. More units can fit more complex patterns "
        "but train more slowly and overfit more easily. On the output layer, 'auto' takes one "
        "unit per class (or per target column) of the data."),
    "activation": (
        "The function each unit applies to its weighted sum. Without a non-linear "
        "activation, any stack of layers would collapse into a single linear map."),
    "initializer": (
        "How the weights are drawn before training starts. Random values break the "
        "symmetry between units, and the right scale keeps signals and gradients from fading "
        "or blowing up through depth. 'default' picks the one that suits the activation: He "
        "for the ReLU family, Glorot for S-shaped functions, LeCun for SELU."),
    "bias": (
        "Whether each unit adds a learned offset (its bias) to its weighted sum, so that it "
        "can shift the point where it switches on instead of always passing through zero. "
        "Usually on; it can be off right before a batch norm layer, which adds its own "
        "offset."),
    "l1": (
        "L1 regularization: adds l1 times the sum of the absolute weights to the loss. It "
        "pushes unimportant weights all the way to zero (sparse weights), a kind of feature "
        "selection. 0 switches it off."),
    "l2": (
        "L2 regularization (weight decay): adds l2 times the sum of the squared weights to "
        "the loss, so large weights cost more. The weights stay small and spread out, the "
        "learned function gets smoother, and the network overfits less. Typical values lie "
        "between 0.00001 and 0.01; 0 switches it off."),
    "rate": (
        "The dropout rate: the share of values silenced at random in each training step "
        "(the others are scaled by 1 / (1 - rate)). Only active while training; predictions "
        "use every unit. 0.2 to 0.5 is usual; higher fights overfitting harder but slows "
        "learning."),
    "momentum": (
        "How much each new batch moves batch norm's running mean and variance: "
        "new = (1 - momentum) old + momentum batch, as in PyTorch. The running values replace "
        "the batch statistics when predicting. Higher follows recent batches faster; lower "
        "averages over more batches."),
    "eps": (
        "A small number added to the variance before batch norm divides by its square root, "
        "so that a unit whose values are (nearly) constant never divides by zero."),
}

# A parameter that means something else on one layer type than on the others.
_PARAMETER_OVERRIDES: dict[tuple[str, str], str] = {
    ("input", "units"): (
        "How many features the data has: one input unit per column. Leave it empty "
        "('from data') to take the number from the dataset; a number that differs from the "
        "data is reported as a problem."),
}


def _canonical(registry, name: str) -> str:
    try:
        return registry.canonical(name)
    except (ValueError, TypeError):
        return str(name)


def _name_of(spec) -> str:
    """The name in a registry name or config (``{"name": "leaky_relu", ...}``)."""
    return spec.get("name", "") if isinstance(spec, dict) else str(spec)


def activation(name) -> str:
    """What the activation ``name`` (a name, alias or config) is and when to use it."""
    return ACTIVATIONS.get(_canonical(_activations.ACTIVATIONS, _name_of(name)), "")


def initializer(name) -> str:
    """What the initializer ``name`` (a name, alias or config) does."""
    return INITIALIZERS.get(_canonical(_initializers.INITIALIZERS, _name_of(name)), "")


def layer(layer_type: str) -> str:
    """What a layer of type ``layer_type`` does."""
    return LAYERS.get(_canonical(_layers.LAYERS, layer_type), "")


def parameter(name: str, layer_type: str | None = None) -> str:
    """What the layer parameter ``name`` does (on a layer of ``layer_type``, if given)."""
    if layer_type is not None:
        special = _PARAMETER_OVERRIDES.get((_canonical(_layers.LAYERS, layer_type), name))
        if special:
            return special
    return PARAMETERS.get(name, "")


def summary(text: str) -> str:
    """The first sentence of a glossary text (what the thing is)."""
    end = text.find(". ")
    return text if end < 0 else text[:end + 1]


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def tooltip(*sections: tuple[str, str]) -> str:
    """Rich-text tooltip (Qt wraps rich text, not plain text) of ``(title, text)`` pairs;
    empty texts are left out."""
    parts = [f"<p><b>{_escape(title)}</b>: {_escape(text)}</p>"
             for title, text in sections if text]
    return "<qt>" + "".join(parts) + "</qt>" if parts else ""
