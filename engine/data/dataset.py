"""The one container every data source hands to the engine and the GUI.

Synthetic generators, built-in tables and CSV imports all end in a :class:`Dataset`, so the
network builder (input size from ``n_features``, output size from ``n_outputs``), the loss
checks (class indices vs. real targets) and the views read one shape of thing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TASKS = ("classification", "regression")


@dataclass(eq=False)  # element-wise array comparison has no single truth value
class Dataset:
    """Inputs and targets of one supervised learning problem.

    Parameters
    ----------
    name : str
        Short name shown in the data panel (for synthetic sets, the registry name).
    x : ndarray of float32, shape (N, F)
        Inputs, one row per sample; finite values only.
    y : ndarray
        Targets. Classification: int64 class indices of shape (N,), each in
        ``[0, n_classes)``. Regression: float32 of shape (N, K).
    task : {"classification", "regression"}
        What kind of problem the targets describe.
    feature_names : list of str
        One name per input column, length F.
    class_names : list of str or None
        Classification: one name per class (their count defines ``n_classes``).
        Regression: must be None.
    target_names : list of str
        Classification: one name, that of the label column. Regression: one name per target
        column, length K.
    description : str
        One or two sentences for the data panel.

    Raises
    ------
    ValueError
        If any field disagrees with another or with the dtypes above; the message names the
        field. Arrays are not converted silently, because a silent float64 -> float32 or
        float -> int cast would hide a bug in the loader that produced them.
    """

    name: str
    x: np.ndarray
    y: np.ndarray
    task: str
    feature_names: list[str]
    class_names: list[str] | None
    target_names: list[str]
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"dataset name must be a non-empty string, got {self.name!r}")
        if self.task not in TASKS:
            raise ValueError(f"dataset {self.name!r}: task must be one of {TASKS}, got {self.task!r}")
        self.feature_names = _names(self.name, "feature_names", self.feature_names)
        self.target_names = _names(self.name, "target_names", self.target_names)
        if self.class_names is not None:
            self.class_names = _names(self.name, "class_names", self.class_names)
        self._check_x()
        if self.task == "classification":
            self._check_classification()
        else:
            self._check_regression()

    # --- derived sizes -------------------------------------------------------------------

    @property
    def n_samples(self) -> int:
        """Number of samples N."""
        return int(self.x.shape[0])

    @property
    def n_features(self) -> int:
        """Number of input features F (the input layer's width)."""
        return int(self.x.shape[1])

    @property
    def n_classes(self) -> int | None:
        """Number of classes for classification, None for regression."""
        return None if self.class_names is None else len(self.class_names)

    @property
    def n_outputs(self) -> int:
        """Output units the network needs: ``n_classes`` (classification) or K (regression)."""
        if self.task == "classification":
            return len(self.class_names)  # type: ignore[arg-type]
        return int(self.y.shape[1])

    # --- validation ----------------------------------------------------------------------

    def _fail(self, message: str) -> None:
        raise ValueError(f"dataset {self.name!r}: {message}")

    def _check_x(self) -> None:
        if not isinstance(self.x, np.ndarray) or self.x.ndim != 2:
            self._fail(f"x must be a 2-D array (samples, features), got {_describe(self.x)}")
        if self.x.dtype != np.float32:
            self._fail(f"x must have dtype float32, got {self.x.dtype}")
        if self.x.shape[0] == 0:
            self._fail("x has no samples")
        if not np.isfinite(self.x).all():
            self._fail("x contains NaN or infinite values")
        if len(self.feature_names) != self.x.shape[1]:
            self._fail(
                f"feature_names has {len(self.feature_names)} names but x has "
                f"{self.x.shape[1]} columns"
            )

    def _check_y_rows(self) -> None:
        if not isinstance(self.y, np.ndarray):
            self._fail(f"y must be a NumPy array, got {type(self.y).__name__}")
        if self.y.ndim == 0 or self.y.shape[0] != self.x.shape[0]:
            self._fail(f"y has shape {self.y.shape} but x has {self.x.shape[0]} samples")

    def _check_classification(self) -> None:
        self._check_y_rows()
        if self.y.ndim != 1:
            self._fail(f"classification y must be class indices of shape (N,), got shape {self.y.shape}")
        if self.y.dtype != np.int64:
            self._fail(f"classification y must have dtype int64, got {self.y.dtype}")
        if self.class_names is None or len(self.class_names) < 2:
            self._fail("classification needs class_names with at least 2 classes")
        k = len(self.class_names)
        if self.y.min() < 0 or self.y.max() >= k:
            self._fail(
                f"class indices in y must lie in [0, {k}) for {k} class_names, "
                f"got range [{self.y.min()}, {self.y.max()}]"
            )
        if len(self.target_names) != 1:
            self._fail(
                f"classification target_names must hold the one label column's name, "
                f"got {len(self.target_names)} names"
            )

    def _check_regression(self) -> None:
        self._check_y_rows()
        if self.y.ndim != 2:
            self._fail(f"regression y must have shape (N, K), got shape {self.y.shape}")
        if self.y.dtype != np.float32:
            self._fail(f"regression y must have dtype float32, got {self.y.dtype}")
        if not np.isfinite(self.y).all():
            self._fail("y contains NaN or infinite values")
        if self.class_names is not None:
            self._fail("class_names must be None for regression")
        if len(self.target_names) != self.y.shape[1]:
            self._fail(
                f"target_names has {len(self.target_names)} names but y has "
                f"{self.y.shape[1]} columns"
            )


def _names(dataset: str, field: str, value: object) -> list[str]:
    """``value`` as a list of strings, or a ValueError naming ``field``."""
    if isinstance(value, str) or not hasattr(value, "__iter__"):
        raise ValueError(f"dataset {dataset!r}: {field} must be a list of strings, got {value!r}")
    names = list(value)  # type: ignore[call-overload]
    if not all(isinstance(n, str) for n in names):
        raise ValueError(f"dataset {dataset!r}: {field} must contain only strings, got {names!r}")
    return names


def _describe(value: object) -> str:
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape}"
    return type(value).__name__
