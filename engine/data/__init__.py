"""Datasets: the :class:`Dataset` container and the registered synthetic generators.

>>> from engine.data import load, names
>>> ds = load({"name": "xor", "n_samples": 200, "noise": 0.1, "seed": 3})
>>> ds.x.shape, ds.n_classes
((200, 2), 2)
"""

from engine.data.builtin import BUILTIN_DATASETS, builtin_names, load_builtin
from engine.data.csv_import import (
    Column,
    CSVError,
    Dialect,
    ImportCancelled,
    Table,
    read_csv,
    sniff,
)
from engine.data.dataset import Dataset
from engine.data.preprocessing import Preprocessor, PreprocessingError, fit, prepare
from engine.data.splits import SplitError, split_indices
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
    "BUILTIN_DATASETS",
    "CSVError",
    "Column",
    "Dialect",
    "ImportCancelled",
    "PreprocessingError",
    "Preprocessor",
    "SplitError",
    "Table",
    "builtin_names",
    "fit",
    "load_builtin",
    "prepare",
    "read_csv",
    "sniff",
    "split_indices",
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
