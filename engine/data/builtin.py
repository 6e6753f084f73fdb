"""Built-in real datasets, shipped as small CSV files in ``resources/datasets``.

Each is a class registered in :data:`BUILTIN_DATASETS` (a registry of its own kind, beside the
synthetic generators' ``DATASETS``); ``load_builtin(name)`` reads its CSV through
:func:`engine.data.csv_import.read_csv` -- the same importer a user's file goes through -- and
returns a :class:`~engine.data.dataset.Dataset` with categorical features one-hot encoded,
numeric features as stored (scaling belongs to the training split, see
:func:`engine.data.preprocessing.prepare`) and rows with a missing value dropped.

=============  ==========  ===========  ===========================================
name           x shape     task         target
=============  ==========  ===========  ===========================================
iris           (150, 4)    3 classes    species
wine           (178, 13)   3 classes    cultivar
breast_cancer  (569, 30)   2 classes    diagnosis (benign, malignant)
digits         (1797, 64)  10 classes   digit (8x8 pixels, 0..16, row by row)
diabetes       (442, 10)   regression   progression (one year after baseline)
penguins       (333, 10)   3 classes    species; 11 of 344 rows have a missing value
=============  ==========  ===========  ===========================================

Sources and licences: ``resources/datasets/README.md``.
"""

from __future__ import annotations

import importlib.resources
from importlib.resources.abc import Traversable
from typing import Any

from engine.data.csv_import import read_csv
from engine.data.dataset import Dataset
from engine.registry import Configurable, Registry
from engine.resources import resource_dir

BUILTIN_DATASETS = Registry("built-in dataset")


def datasets_dir() -> Traversable:
    """``resources/datasets`` (see :func:`engine.resources.resource_dir`)."""
    return resource_dir("datasets")


class BuiltinDataset(Configurable):
    """A CSV in ``resources/datasets`` with its target column and documented shape.

    Class attributes: ``file``, ``target``, ``task``, ``shape`` (x after encoding),
    ``n_classes`` (None for regression), ``description``, ``types`` (kind overrides).
    """

    file = ""
    target = ""
    task = "classification"
    shape: tuple[int, int] = (0, 0)
    n_classes: int | None = None
    description = ""
    types: dict[str, str] = {}

    def path(self) -> Traversable:
        return datasets_dir().joinpath(self.file)

    def load(self) -> Dataset:
        """Read the CSV; ``x`` float32 of shape :attr:`shape`, ``y`` as in ``Dataset``."""
        with importlib.resources.as_file(self.path()) as path:
            table = read_csv(path, target=self.target, task=self.task, types=self.types)
        return table.to_dataset({"*": {"scale": "none", "missing": "drop"}},
                                name=self.name, description=self.description)


def _builtin(name, file, target, task, shape, n_classes, description, types=None):
    cls = type(name.title().replace("_", ""), (BuiltinDataset,), {
        "file": file, "target": target, "task": task, "shape": shape, "n_classes": n_classes,
        "description": description, "types": dict(types or {}),
        "__doc__": f"{description} x: {shape}."})
    cls.__module__ = __name__
    return BUILTIN_DATASETS.register(name)(cls)


Iris = _builtin("iris", "iris.csv", "species", "classification", (150, 4), 3,
                "Fisher's iris flowers: 4 measurements (cm), 3 species.")
Wine = _builtin("wine", "wine.csv", "cultivar", "classification", (178, 13), 3,
                "Chemical analysis of Italian wines from 3 cultivars.")
BreastCancer = _builtin("breast_cancer", "breast_cancer.csv", "diagnosis", "classification",
                        (569, 30), 2, "Wisconsin diagnostic breast cancer: 30 features of cell "
                        "nuclei, benign or malignant.")
Digits = _builtin("digits", "digits.csv", "digit", "classification", (1797, 64), 10,
                  "Handwritten digits as 8x8 images, pixel values 0..16, 10 classes.",
                  types={f"pixel_{r}_{c}": "numeric" for r in range(8) for c in range(8)})
Diabetes = _builtin("diabetes", "diabetes.csv", "progression", "regression", (442, 10), None,
                    "Disease progression one year after baseline from 10 measurements "
                    "(age, sex, BMI, blood pressure, 6 serum values).",
                    types={"sex": "numeric"})
Penguins = _builtin("penguins", "penguins.csv", "species", "classification", (333, 10), 3,
                    "Palmer Archipelago penguins: 3 species from bill, flipper, mass, island "
                    "and sex (rows with a missing value dropped).",
                    types={"year": "numeric"})


def load_builtin(spec: Any) -> Dataset:
    """Load a built-in dataset by name or config: ``BUILTIN_DATASETS.get(spec).load()``."""
    return BUILTIN_DATASETS.get(spec).load()


def builtin_names() -> list[str]:
    """Registered built-in dataset names, in registration order."""
    return BUILTIN_DATASETS.names()
