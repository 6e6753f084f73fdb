"""Class weights of the cross-entropies: PyTorch's formulas, finite-difference gradients, and
"balanced" weights as scikit-learn computes them."""

from __future__ import annotations

import numpy as np
import pytest

from engine import activations, losses

EPS = 1e-6
N, K = 7, 3
WEIGHT = [0.5, 2.0, 1.25]


def logits(rng, n=N, k=K, scale=2.0):
    return rng.normal(scale=scale, size=(n, k))


def softmax(z):
    return activations.get("softmax").forward(z)


def sigmoid(z):
    return activations.get("sigmoid").forward(z)


def labels(rng, n=N, k=K):
    y = rng.permutation(np.arange(n) % k)
    y[0] = 1  # the classes appear unevenly, or the weighted mean would equal a plain one
    return y.astype(np.int64)


def weighted_cases():
    """(loss config, outputs K) of every weighted form."""
    return [
        ({"name": "sparse_categorical_crossentropy", "weight": WEIGHT}, K),
        ({"name": "categorical_crossentropy", "weight": WEIGHT}, K),
        ({"name": "binary_crossentropy", "weight": WEIGHT}, K),
        ({"name": "binary_crossentropy", "pos_weight": [3.0, 0.25, 1.0]}, K),
        ({"name": "binary_crossentropy", "weight": WEIGHT, "pos_weight": [3.0, 0.25, 1.0]}, K),
        ({"name": "binary_crossentropy", "weight": [1.7], "pos_weight": [4.0]}, 1),
    ]


def targets(loss, rng, k):
    if loss.name == "sparse_categorical_crossentropy":
        return labels(rng, k=k)
    if loss.name == "categorical_crossentropy":
        return np.eye(k)[labels(rng, k=k)]
    y = rng.integers(0, 2, size=(N, k)).astype(np.float64)
    y[0], y[1] = 0.0, 1.0
    return y


def case_id(case):
    config, k = case
    return f"{config['name']}-{'-'.join(sorted(set(config) - {'name'}))}-k{k}"


CASES = weighted_cases()
IDS = [case_id(c) for c in CASES]


# --------------------------------------------------------------------------- gradients


def central_difference(f, x):
    numeric = np.empty_like(x)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += EPS
        xm[idx] -= EPS
        numeric[idx] = (f(xp) - f(xm)) / (2 * EPS)
    return numeric


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_weighted_gradients_match_finite_differences(case):
    config, k = case
    loss = losses.get(config)
    rng = np.random.default_rng(5)
    z = logits(rng, k=k)
    y = loss.prepare_targets(targets(loss, rng, k), k, np.float64)
    a = sigmoid(z) if loss.independent_outputs else softmax(z)

    value, grad = loss.value_and_grad(a, y)
    numeric = central_difference(lambda v: loss.value(v, y), a)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)

    fused = loss.value_logits(z, y)
    assert fused == pytest.approx(value, rel=1e-10)
    g = loss.grad_logits(z, a, y)
    numeric = central_difference(lambda v: loss.value_logits(v, y), z)
    np.testing.assert_allclose(g, numeric, rtol=1e-6, atol=1e-9)
    # the out= buffer gives the same numbers
    np.testing.assert_array_equal(loss.grad_logits(z, a, y, out=np.empty_like(z)), g)
    np.testing.assert_array_equal(loss.value_and_grad(a, y, out=np.empty_like(a))[1], grad)


@pytest.mark.parametrize("name", ["sparse_categorical_crossentropy",
                                  "categorical_crossentropy", "binary_crossentropy"])
def test_unit_weights_are_the_unweighted_loss(name):
    rng = np.random.default_rng(6)
    plain = losses.get(name)
    ones = losses.get({"name": name, "weight": [1.0] * K})
    z = logits(rng)
    y = plain.prepare_targets(targets(plain, rng, K), K, np.float64)
    a = sigmoid(z) if plain.independent_outputs else softmax(z)
    assert ones.value_logits(z, y) == pytest.approx(plain.value_logits(z, y), rel=1e-12)
    np.testing.assert_allclose(ones.grad_logits(z, a, y), plain.grad_logits(z, a, y),
                               rtol=1e-12)


def test_sparse_weights_give_the_weighted_mean():
    """sum_n w_{y_n} l_n / sum_n w_{y_n}, by hand."""
    rng = np.random.default_rng(7)
    z = logits(rng)
    y = labels(rng)
    per_sample = np.log(np.exp(z).sum(axis=1)) - z[np.arange(N), y]
    w = np.array(WEIGHT)[y]
    loss = losses.get({"name": "sparse_categorical_crossentropy", "weight": WEIGHT})
    assert loss.value_logits(z, y) == pytest.approx((w * per_sample).sum() / w.sum(), rel=1e-12)


# --------------------------------------------------------------------------- PyTorch


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_weighted_losses_match_pytorch(case, dtype):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    config, k = case
    loss = losses.get(config)
    rng = np.random.default_rng(8)
    z = logits(rng, k=k).astype(dtype)
    y = loss.prepare_targets(targets(loss, rng, k), k, np.dtype(dtype))
    a = (sigmoid(z) if loss.independent_outputs else softmax(z)).astype(dtype)
    tdt = {"float64": torch.float64, "float32": torch.float32}[dtype]
    w = torch.tensor(config.get("weight", [1.0] * k), dtype=tdt)
    zt = torch.tensor(z, requires_grad=True)
    at = torch.tensor(a, requires_grad=True)
    yt = torch.from_numpy(y)
    if loss.name == "sparse_categorical_crossentropy":
        fused = F.cross_entropy(zt, yt, weight=w)
        plain = F.nll_loss(torch.log(at), yt, weight=w)
    elif loss.name == "categorical_crossentropy":
        fused = F.cross_entropy(zt, yt, weight=w)   # probability targets
        plain = -(yt * w * torch.log(at)).sum(dim=1).mean()
    else:
        r = torch.tensor(config.get("pos_weight", [1.0] * k), dtype=tdt)
        fused = F.binary_cross_entropy_with_logits(zt, yt, weight=w, pos_weight=r)
        if "pos_weight" in config:  # BCELoss has no pos_weight: its formula, by hand
            plain = -(w * (r * yt * torch.log(at) + (1 - yt) * torch.log(1 - at))).mean()
        else:
            plain = F.binary_cross_entropy(at, yt, weight=w)
    fused.backward()
    plain.backward()
    rtol = 1e-10 if dtype == "float64" else 2e-5
    assert loss.value_logits(z, y) == pytest.approx(fused.item(), rel=rtol)
    value, grad = loss.value_and_grad(a, y)
    assert value == pytest.approx(plain.item(), rel=rtol)
    atol = 1e-12 if dtype == "float64" else 1e-6
    np.testing.assert_allclose(loss.grad_logits(z, a, y), zt.grad.numpy(), rtol=rtol,
                               atol=atol)
    np.testing.assert_allclose(grad, at.grad.numpy(), rtol=rtol, atol=atol)


# --------------------------------------------------------------------------- balanced


def test_balanced_weights_are_scikit_learns():
    sklearn_utils = pytest.importorskip("sklearn.utils")
    y = np.array([0] * 50 + [1] * 8 + [2] * 2)
    expected = sklearn_utils.compute_class_weight("balanced", classes=np.arange(3), y=y)
    np.testing.assert_allclose(losses.balanced_class_weights(np.bincount(y)), expected)
    # n / (k n_c): 60 / (3 * 2) = 10 for the rarest class
    assert losses.balanced_class_weights([50, 8, 2])[2] == pytest.approx(10.0)
    # a class that never occurs neither counts in k nor gets an infinite weight
    np.testing.assert_allclose(losses.balanced_class_weights([30, 0, 10]), [2 / 3, 1.0, 2.0])


def test_resolving_balanced_weights_from_the_labels():
    y = np.array([0] * 9 + [1] * 3)
    scce = losses.resolve_class_weights({"name": "scce", "weight": "balanced"}, y, n_classes=3)
    assert scce.config() == {"weight": pytest.approx([12 / 18, 2.0, 1.0])}
    cce = losses.resolve_class_weights({"name": "cce", "weight": "balanced"}, np.eye(2)[y])
    assert cce.config() == {"weight": pytest.approx([12 / 18, 2.0])}
    bce = losses.resolve_class_weights({"name": "bce", "weight": "balanced"},
                                       y[:, None].astype(float))
    w0, w1 = 12 / 18, 2.0
    assert bce.weight == pytest.approx((w0,)) and bce.pos_weight == pytest.approx((w1 / w0,))
    # in torch's terms, positives weigh w1 and negatives w0 in every element
    z = np.linspace(-2, 2, 12)[:, None]
    yf = y[:, None].astype(np.float64)
    by_hand = np.mean(np.where(yf == 1, w1 * np.logaddexp(0, -z), w0 * np.logaddexp(0, z)))
    assert bce.value_logits(z, yf) == pytest.approx(by_hand, rel=1e-12)
    # a loss without "balanced" passes through unchanged
    plain = losses.get("mse")
    assert losses.resolve_class_weights(plain, y) is plain


def test_balanced_weights_even_out_an_imbalanced_loss():
    """With balanced weights every class contributes the same total weight: a network that
    ignores the rare class is no longer nearly right by the loss."""
    y = np.array([0] * 95 + [1] * 5)
    z = np.tile([3.0, -3.0], (100, 1))     # always says class 0
    plain = losses.get("sparse_categorical_crossentropy")
    balanced = losses.resolve_class_weights(
        {"name": "sparse_categorical_crossentropy", "weight": "balanced"}, y)
    assert balanced.value_logits(z, y) > 5 * plain.value_logits(z, y)


def test_bad_weights_are_refused_by_name():
    with pytest.raises(ValueError, match="weight"):
        losses.get({"name": "scce", "weight": [1.0, -2.0]})
    with pytest.raises(ValueError, match="weight"):
        losses.get({"name": "scce", "weight": "heavy"})
    with pytest.raises(ValueError, match="pos_weight"):
        losses.get({"name": "bce", "pos_weight": "balanced"})
    loss = losses.get({"name": "scce", "weight": [1.0, 2.0]})
    z = np.zeros((2, 3))
    with pytest.raises(losses.TargetError, match="2 weight"):
        loss.value_logits(z, np.array([0, 1]))
    unresolved = losses.get({"name": "scce", "weight": "balanced"})
    with pytest.raises(ValueError, match="resolve_class_weights"):
        unresolved.value_logits(z, np.array([0, 1]))


def test_weighted_configs_round_trip():
    for config, _k in CASES + [({"name": "cce", "weight": "balanced"}, K)]:
        loss = losses.get(config)
        again = losses.get(losses.LOSSES.to_config(loss))
        assert again == loss and hash(again) == hash(loss)
    assert losses.get("sparse_categorical_crossentropy").config() == {"weight": None}
