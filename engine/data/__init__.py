"""Datasets: the :class:`Dataset` container and the registered synthetic generators.

>>> from engine.data import load, names
>>> ds = load({"name": "xor", "n_samples": 200, "noise": 0.1, "seed": 3})
>>> ds.x.shape, ds.n_classes
((200, 2), 2)
"""

from engine.data.dataset import Dataset
from engine.data.synthetic import (
    DATASETS,
    Circle,
    GaussianSum,
    Gaussians,
    Plane,
    Spiral,
    Spirals,
    SyntheticDataset,
    Xor,
    load,
    names,
)

__all__ = [
    "DATASETS",
    "Circle",
    "Dataset",
    "GaussianSum",
    "Gaussians",
    "Plane",
    "Spiral",
    "Spirals",
    "SyntheticDataset",
    "Xor",
    "load",
    "names",
]
