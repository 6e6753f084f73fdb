"""The three training workloads of the engine benchmark, and their synthetic data.

Each workload fixes an architecture, its loss, optimizer and batch size.  Data is synthetic,
deterministic and learnable (labels come from a fixed rule or a random *teacher* network), and
is built with NumPy alone so the benchmark needs nothing from the network.

Workloads
---------
``mnist-like``      784-256-128-10, ReLU, softmax + CE, Adam 1e-3, batch 64, 20,000 samples
``playground``      2-8-8-1, tanh, sigmoid + BCE, SGD 0.03, batch 10, 1,000 samples
``covertype-like``  54-512-512-512-7, ReLU, softmax + CE, Adam 1e-3, batch 256, 50,000 samples
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Workload:
    """One benchmark training setup.

    Attributes
    ----------
    name : str
        Short identifier, e.g. ``"mnist-like"``.
    sizes : tuple of int
        Layer widths from input to output, e.g. ``(784, 256, 128, 10)``.
    activation : str
        Hidden activation: ``"relu"`` or ``"tanh"``.
    output : str
        ``"softmax"`` (categorical cross-entropy on int64 class indices) or ``"sigmoid"``
        (binary cross-entropy on float32 ``(n, 1)`` 0/1 targets).
    optimizer : str
        ``"adam"`` or ``"sgd"`` (plain SGD, no momentum).
    lr : float
        Learning rate.
    batch_size : int
        Samples per mini-batch.
    n_samples : int
        Training-set size.
    epochs : int
        Epochs the benchmark runs by default, chosen so that each timing lasts about a
        second or more on a 2-core machine.
    """

    name: str
    sizes: tuple[int, ...]
    activation: str
    output: str
    optimizer: str
    lr: float
    batch_size: int
    n_samples: int
    epochs: int

    @property
    def n_in(self) -> int:
        """Number of input features."""
        return self.sizes[0]

    @property
    def n_out(self) -> int:
        """Number of output units (classes, or 1 for the binary workload)."""
        return self.sizes[-1]

    @property
    def hidden(self) -> tuple[int, ...]:
        """Hidden-layer widths."""
        return self.sizes[1:-1]

    @property
    def n_params(self) -> int:
        """Number of trainable parameters (weights and biases)."""
        return sum((a + 1) * b for a, b in zip(self.sizes[:-1], self.sizes[1:]))


MNIST_LIKE = Workload(
    name="mnist-like", sizes=(784, 256, 128, 10), activation="relu", output="softmax",
    optimizer="adam", lr=1e-3, batch_size=64, n_samples=20_000, epochs=3,
)
PLAYGROUND = Workload(
    name="playground", sizes=(2, 8, 8, 1), activation="tanh", output="sigmoid",
    optimizer="sgd", lr=0.03, batch_size=10, n_samples=1_000, epochs=200,
)
COVERTYPE_LIKE = Workload(
    name="covertype-like", sizes=(54, 512, 512, 512, 7), activation="relu", output="softmax",
    optimizer="adam", lr=1e-3, batch_size=256, n_samples=50_000, epochs=2,
)

WORKLOADS: dict[str, Workload] = {w.name: w for w in (MNIST_LIKE, PLAYGROUND, COVERTYPE_LIKE)}


def make_data(workload: Workload, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic, learnable synthetic data for a workload.

    Parameters
    ----------
    workload : Workload
        One of :data:`WORKLOADS`.
    seed : int
        Seed of the NumPy generator; the same seed gives the same arrays.

    Returns
    -------
    x : ndarray of float32, shape (n_samples, n_in)
    y : ndarray
        int64 class indices of shape (n_samples,) for a softmax workload; float32 0/1 targets
        of shape (n_samples, 1) for a sigmoid workload.
    """
    try:
        maker = _MAKERS[workload.name]
    except KeyError:
        raise ValueError(f"no data maker for workload {workload.name!r}; "
                         f"known: {', '.join(_MAKERS)}") from None
    x, y = maker(workload, np.random.default_rng(seed))
    x = np.ascontiguousarray(x, dtype=np.float32)
    if workload.output == "sigmoid":
        y = np.ascontiguousarray(y, dtype=np.float32).reshape(-1, 1)
    else:
        y = np.ascontiguousarray(y, dtype=np.int64)
    return x, y


def _teacher_labels(x: np.ndarray, n_classes: int, rng: np.random.Generator,
                    width: int = 64) -> np.ndarray:
    """Class = argmax of a random one-hidden-layer tanh network applied to standardized x.

    Computed in float64 so that the labels do not depend on BLAS kernels or thread counts.
    Subtracting each logit's median before the argmax keeps the classes roughly balanced.
    """
    z = (x - x.mean(axis=0)) / (x.std(axis=0) + 1e-6)
    w1 = rng.standard_normal((x.shape[1], width)) / np.sqrt(x.shape[1])
    w2 = rng.standard_normal((width, n_classes))
    logits = np.tanh(z @ w1) @ w2
    logits -= np.median(logits, axis=0)
    return logits.argmax(axis=1)


def _mnist_like(w: Workload, rng: np.random.Generator):
    # Pixel-like inputs in [0, 1] with many exact zeros, as in MNIST (about 60 % here).
    x = np.clip(rng.standard_normal((w.n_samples, w.n_in), dtype=np.float32) - 0.25, 0.0, 1.0)
    return x, _teacher_labels(x.astype(np.float64), w.n_out, rng)


def _playground(w: Workload, rng: np.random.Generator):
    # TensorFlow Playground's "circle" set: points in [-1, 1]^2, label 1 inside the circle
    # whose area is half the square (r^2 = 2 / pi), so the classes are balanced.
    x = rng.uniform(-1.0, 1.0, (w.n_samples, 2))
    y = (np.sum(x * x, axis=1) < 2.0 / np.pi).astype(np.float32)
    return x, y


def _covertype_like(w: Workload, rng: np.random.Generator):
    # Covertype's layout: 10 standardized continuous columns, then a one-hot of 4 wilderness
    # areas and a one-hot of 40 soil types (10 + 4 + 40 = 54).
    n = w.n_samples
    n_cont, n_area, n_soil = 10, 4, w.n_in - 14
    x = np.zeros((n, w.n_in))
    x[:, :n_cont] = rng.standard_normal((n, n_cont))
    rows = np.arange(n)
    x[rows, n_cont + rng.integers(0, n_area, n)] = 1.0
    x[rows, n_cont + n_area + rng.integers(0, n_soil, n)] = 1.0
    return x, _teacher_labels(x, w.n_out, rng)


_MAKERS = {
    "mnist-like": _mnist_like,
    "playground": _playground,
    "covertype-like": _covertype_like,
}
