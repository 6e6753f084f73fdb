"""Synthetic 2-D datasets: the TensorFlow Playground's four, a K-class spiral and two surfaces.

Each generator is a class registered in :data:`DATASETS`; ``DATASETS.get(config).load()``
builds the :class:`~engine.data.dataset.Dataset`. All generators share three parameters:

``n_samples``
    Number of points (classes get counts that differ by at most one).
``noise``
    How hard the set is; what it does depends on the set and is written in each class's
    docstring. The playground sets take the playground's meaning, whose slider runs from 0 to
    0.5 (its 0 % .. 50 %); larger values are allowed and extrapolate.
``seed``
    Seed of ``np.random.default_rng``; the same config gives the same arrays bit for bit.

Every random draw is made whatever ``noise`` is, so at a fixed seed changing ``noise`` changes
only what noise touches (e.g. the labels of ``circle``, not its points).

Labels follow the playground: its ``+1`` class is our class 1 and its ``-1`` class is 0.
Inputs lie roughly within [-6, 6] like the playground's, as float32; rows are shuffled so that
any contiguous slice holds every class.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from engine import checks
from engine.data.dataset import Dataset
from engine.registry import Configurable, Registry

DATASETS = Registry("dataset")

FEATURES = ["x1", "x2"]


class SyntheticDataset(Configurable):
    """Base of the generators: parameter checks, config, and the shared ``load`` pipeline.

    Parameters
    ----------
    n_samples : int, default 500
        Number of samples, at least the number of classes.
    noise : float, default 0.0
        Non-negative difficulty; see the subclass.
    seed : int, default 0
        Non-negative seed of ``np.random.default_rng``.

    Notes
    -----
    Subclasses set ``task``, ``description`` and ``class_names`` (or ``target_names``) and
    implement ``_generate(rng) -> (x, y)`` with ``x`` of shape (N, 2) in any float dtype;
    ``load`` shuffles and casts.
    """

    task = "classification"
    description = ""
    class_names: list[str] | None = None
    target_names = ["label"]

    def __init__(self, n_samples: int = 500, noise: float = 0.0, seed: int = 0):
        self.n_samples = checks.whole(_param(self, "n_samples"), n_samples, 1, wording=_INTEGER)
        self.noise = checks.number(_param(self, "noise"), noise, 0)
        self.seed = checks.whole(_param(self, "seed"), seed, 0, wording=_INTEGER)
        self._check_enough_samples()

    def config(self) -> dict[str, Any]:
        """Parameters that rebuild this generator (JSON-able, without ``"name"``)."""
        return {"n_samples": self.n_samples, "noise": self.noise, "seed": self.seed}

    def load(self) -> Dataset:
        """Generate the dataset deterministically from ``seed``.

        Returns
        -------
        Dataset
            ``x`` float32 of shape (n_samples, 2); ``y`` int64 of shape (n_samples,) for
            classification, float32 of shape (n_samples, 1) for regression.
        """
        rng = np.random.default_rng(self.seed)
        x, y = self._generate(rng)
        order = rng.permutation(self.n_samples)
        y_dtype = np.int64 if self.task == "classification" else np.float32
        return Dataset(
            name=self.name,
            x=np.ascontiguousarray(x[order], dtype=np.float32),
            y=np.ascontiguousarray(y[order], dtype=y_dtype),
            task=self.task,
            feature_names=list(FEATURES),
            class_names=None if self.class_names is None else list(self.class_names),
            target_names=list(self.target_names),
            description=self.description,
        )

    def _check_enough_samples(self) -> None:
        # A class with no sample would break class balance and make a confusion-matrix row
        # undefined, so a set too small to show every class is refused up front.
        k = len(self.class_names) if self.class_names is not None else 1
        if self.n_samples < k:
            raise ValueError(
                f"dataset {self.name!r}: n_samples must be at least {k} so that every class "
                f"appears, got {self.n_samples}"
            )

    def _generate(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError


# --- the TensorFlow Playground's classification sets -------------------------------------


@DATASETS.register("circle", aliases=("circles",))
class Circle(SyntheticDataset):
    """A disc of class 1 inside a ring of class 0 (playground "Circle").

    Class 1 has radius uniform in [0, 2.5], class 0 uniform in [3.5, 5]; angles are uniform.

    ``noise`` flips labels near the gap, as in the playground: each label is that of the point
    moved by a jitter uniform in ``[-5, 5] * noise`` per axis, while the point itself stays.
    """

    description = "Two classes: a disc inside a ring (TensorFlow Playground 'Circle')."
    class_names = ["outer", "inner"]
    RADIUS = 5.0

    def _generate(self, rng):
        labels = _balanced_labels(self.n_samples, 2)
        r = np.where(
            labels == 1,
            rng.uniform(0.0, 0.5 * self.RADIUS, self.n_samples),
            rng.uniform(0.7 * self.RADIUS, self.RADIUS, self.n_samples),
        )
        angle = rng.uniform(0.0, 2.0 * np.pi, self.n_samples)
        x = _polar(r, angle)
        moved = x + rng.uniform(-self.RADIUS, self.RADIUS, x.shape) * self.noise
        y = np.linalg.norm(moved, axis=1) < 0.5 * self.RADIUS
        return x, y


@DATASETS.register("xor")
class Xor(SyntheticDataset):
    """Quadrants labelled by the sign of ``x1 * x2`` (playground "Exclusive or").

    Class 1 where ``x1 * x2 > 0``. Each coordinate's magnitude is uniform in [0.3, 5.3]: the
    0.3 margin keeps points off the axes so that the noiseless labels are unambiguous. Half the
    points are drawn in each pair of quadrants, so the classes are balanced.

    ``noise`` flips labels near the axes, as in the playground: each label is that of the
    point moved by a jitter uniform in ``[-5, 5] * noise`` per axis, while the point stays.
    """

    description = "Two classes by the sign of x1*x2, in the four quadrants (Playground 'Exclusive or')."
    class_names = ["x1*x2 < 0", "x1*x2 > 0"]
    EXTENT, MARGIN = 5.0, 0.3

    def _generate(self, rng):
        labels = _balanced_labels(self.n_samples, 2)
        magnitude = rng.uniform(0.0, self.EXTENT, (self.n_samples, 2)) + self.MARGIN
        sign1 = rng.choice(np.array([-1.0, 1.0]), self.n_samples)
        sign2 = np.where(labels == 1, sign1, -sign1)
        x = magnitude * np.stack([sign1, sign2], axis=1)
        moved = x + rng.uniform(-self.EXTENT, self.EXTENT, x.shape) * self.noise
        y = moved[:, 0] * moved[:, 1] >= 0
        return x, y


@DATASETS.register("gaussians", aliases=("gauss", "blobs"))
class Gaussians(SyntheticDataset):
    """Two round Gaussian blobs, class 1 around (2, 2) and class 0 around (-2, -2)
    (playground "Gaussian").

    ``noise`` widens the blobs, as in the playground: the variance per axis is
    ``0.5 + 7 * noise`` (0.5 at noise 0, 4 at the playground's maximum 0.5), so the blobs
    overlap more as noise grows.
    """

    description = "Two classes from two Gaussian blobs (TensorFlow Playground 'Gaussian')."
    class_names = ["blob at (-2, -2)", "blob at (2, 2)"]
    CENTERS = np.array([[-2.0, -2.0], [2.0, 2.0]])

    def _generate(self, rng):
        labels = _balanced_labels(self.n_samples, 2)
        std = math.sqrt(0.5 + 7.0 * self.noise)
        x = self.CENTERS[labels] + std * rng.standard_normal((self.n_samples, 2))
        return x, labels


@DATASETS.register("spiral")
class Spiral(SyntheticDataset):
    """Two interleaved spiral arms (playground "Spiral").

    A point at fraction ``u`` along its arm (``u`` uniform in [0, 1]) has radius ``5 u`` and
    angle ``1.75 * 2 pi * u`` plus the arm's phase: 0 for class 1, pi for class 0. The
    playground spaces ``u`` evenly; we draw it so that the seed matters even without noise.

    ``noise`` jitters the points, as in the playground: uniform in ``[-1, 1] * noise`` per axis.
    """

    description = "Two classes on two interleaved spiral arms (TensorFlow Playground 'Spiral')."
    class_names = ["arm at phase pi", "arm at phase 0"]
    RADIUS, TURNS = 5.0, 1.75

    def _generate(self, rng):
        labels = _balanced_labels(self.n_samples, 2)
        u = rng.uniform(0.0, 1.0, self.n_samples)
        angle = self.TURNS * 2.0 * np.pi * u + np.pi * (1 - labels)
        x = _polar(self.RADIUS * u, angle)
        x = x + rng.uniform(-1.0, 1.0, x.shape) * self.noise
        return x, labels


# --- beyond the playground ---------------------------------------------------------------


@DATASETS.register("spirals")
class Spirals(SyntheticDataset):
    """``n_classes`` interleaved spiral arms (the CS231n spiral), one class per arm.

    A point of class ``j`` at fraction ``u`` along its arm (``u`` uniform in [0, 1]) has
    radius ``5 u`` and angle ``4 (j + u)`` radians, as in CS231n with the radius scaled from 1
    to 5 to match the playground's range.

    Parameters
    ----------
    n_classes : int, default 3
        Number of arms and classes, at least 2.
    noise : float, default 0.2
        Standard deviation of a Gaussian jitter of each point's angle, in radians (CS231n's
        0.2 is the default); arms blur into each other near the centre first.
    n_samples, seed
        As in :class:`SyntheticDataset`.
    """

    description = "K classes on K interleaved spiral arms (the CS231n spiral)."

    def __init__(self, n_samples: int = 500, noise: float = 0.2, seed: int = 0, n_classes: int = 3):
        # n_classes is needed by the base class's sample-count check, so it is set first.
        self.n_classes = checks.whole(_param(self, "n_classes"), n_classes, 2, wording=_INTEGER)
        super().__init__(n_samples=n_samples, noise=noise, seed=seed)

    @property
    def class_names(self) -> list[str]:  # type: ignore[override]
        return [f"arm {j}" for j in range(self.n_classes)]

    def config(self) -> dict[str, Any]:
        return {**super().config(), "n_classes": self.n_classes}

    def _generate(self, rng):
        labels = _balanced_labels(self.n_samples, self.n_classes)
        u = rng.uniform(0.0, 1.0, self.n_samples)
        angle = 4.0 * (labels + u) + self.noise * rng.standard_normal(self.n_samples)
        return _polar(5.0 * u, angle), labels


# --- regression surfaces -----------------------------------------------------------------


class _Surface(SyntheticDataset):
    """Regression on the square [-6, 6]^2: ``y = surface(x1, x2)``.

    ``noise`` follows the playground's regression sets: the target is the surface taken at the
    point moved by a jitter uniform in ``[-6, 6] * noise`` per axis, while the point stays.
    """

    task = "regression"
    target_names = ["y"]
    EXTENT = 6.0

    @staticmethod
    def surface(x: np.ndarray) -> np.ndarray:
        """Noiseless target of points ``x`` of shape (N, 2); returns shape (N,)."""
        raise NotImplementedError

    def _generate(self, rng):
        x = rng.uniform(-self.EXTENT, self.EXTENT, (self.n_samples, 2))
        moved = x + rng.uniform(-self.EXTENT, self.EXTENT, x.shape) * self.noise
        return x, self.surface(moved)[:, None]


@DATASETS.register("plane")
class Plane(_Surface):
    """A tilted plane ``y = (x1 + x2) / 10`` (playground "Plane"), in [-1.2, 1.2].

    ``noise``: the target is taken at the point moved by a jitter uniform in
    ``[-6, 6] * noise`` per axis, so it is the plane plus uniform noise of half-width
    ``1.2 * noise``.
    """

    description = "Regression: a tilted plane y = (x1 + x2) / 10 (TensorFlow Playground 'Plane')."

    @staticmethod
    def surface(x: np.ndarray) -> np.ndarray:
        return (x[:, 0] + x[:, 1]) / 10.0


@DATASETS.register("gaussian_sum", aliases=("multi_gaussian",))
class GaussianSum(_Surface):
    """A sum of six Gaussian bumps, alternately up and down on a 3 x 2 grid
    (after the playground's "Multi Gaussian").

    ``y = sum_i s_i exp(-|x - c_i|^2 / (2 w^2))`` with centres ``c_i`` at x1 in {-4, 0, 4},
    x2 in {2.5, -2.5}, signs ``s_i`` of a checkerboard and width ``w = 1``; ``y`` lies in
    about [-1, 1]. The playground takes the largest of six cones; smooth bumps give a target
    whose gradient exists everywhere.

    ``noise``: the target is taken at the point moved by a jitter uniform in
    ``[-6, 6] * noise`` per axis, while the point stays.
    """

    description = "Regression: six Gaussian bumps, up and down (after Playground 'Multi Gaussian')."
    BUMPS = np.array(
        [[-4.0, 2.5, 1.0], [0.0, 2.5, -1.0], [4.0, 2.5, 1.0],
         [-4.0, -2.5, -1.0], [0.0, -2.5, 1.0], [4.0, -2.5, -1.0]]
    )
    WIDTH = 1.0

    @staticmethod
    def surface(x: np.ndarray) -> np.ndarray:
        b = GaussianSum.BUMPS
        d2 = ((x[:, None, :] - b[None, :, :2]) ** 2).sum(axis=2)
        return (b[:, 2] * np.exp(-d2 / (2.0 * GaussianSum.WIDTH**2))).sum(axis=1)


# --- module-level shortcuts --------------------------------------------------------------


def load(spec: Any, **overrides: Any) -> Dataset:
    """Generate a dataset from a name or config: ``DATASETS.get(spec, **overrides).load()``.

    Examples
    --------
    >>> load("circle").x.shape
    (500, 2)
    >>> load({"name": "spirals", "n_classes": 5, "n_samples": 100}).n_classes
    5
    """
    return DATASETS.get(spec, **overrides).load()


def names() -> list[str]:
    """Registered dataset names, in registration order."""
    return DATASETS.names()


# --- helpers -----------------------------------------------------------------------------


def _balanced_labels(n: int, k: int) -> np.ndarray:
    """``n`` labels in ``k`` classes whose counts differ by at most one, sorted (int64)."""
    return np.repeat(np.arange(k, dtype=np.int64), [n // k + (j < n % k) for j in range(k)])


def _polar(r: np.ndarray, angle: np.ndarray) -> np.ndarray:
    # The playground (and CS231n) put sin on x1 and cos on x2; kept so the pictures match.
    return np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)


# Words of the datasets' parameter errors, older than engine.checks and held by tests.
_INTEGER = ("an integer", "at least {low}")


def _param(obj: object, field: str) -> str:
    """How a message names a parameter: ``dataset 'circle': n_samples``."""
    return f"dataset {obj.name!r}: {field}"
