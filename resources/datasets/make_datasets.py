"""Write the built-in real datasets as small CSV files beside this script.

Run once, by hand, in an environment with scikit-learn and palmerpenguins (neither is a run-time
dependency of NN Studio)::

    python resources/datasets/make_datasets.py

The copies come from the data files that scikit-learn and palmerpenguins ship inside their
wheels, so nothing is downloaded.  Values are written as the libraries hold them (shortest
round-trip repr), with the label column last.  See README.md for sources and licences.
"""

from __future__ import annotations

import csv
import pathlib
import shutil

HERE = pathlib.Path(__file__).resolve().parent


def _fmt(value) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def _write(name: str, header: list[str], rows) -> None:
    path = HERE / f"{name}.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    print(f"wrote {path.name}")


def _sklearn(name: str, loader, target: str, labels=None, **kwargs) -> None:
    bunch = loader(**kwargs)
    features = [str(f).replace(" (cm)", "_cm").replace(" ", "_") for f in bunch.feature_names]
    rows = []
    for x, y in zip(bunch.data, bunch.target):
        label = labels[int(y)] if labels is not None else _fmt(y)
        rows.append([_fmt(v) for v in x] + [label])
    _write(name, features + [target], rows)


def main() -> None:
    from sklearn import datasets

    _sklearn("iris", datasets.load_iris, "species",
             labels=list(datasets.load_iris().target_names))
    _sklearn("wine", datasets.load_wine, "cultivar",
             labels=list(datasets.load_wine().target_names))
    _sklearn("breast_cancer", datasets.load_breast_cancer, "diagnosis",
             labels=list(datasets.load_breast_cancer().target_names))
    digits = datasets.load_digits()
    _write("digits", [f"pixel_{r}_{c}" for r in range(8) for c in range(8)] + ["digit"],
           ([_fmt(v) for v in x] + [str(int(y))] for x, y in zip(digits.data, digits.target)))
    _sklearn("diabetes", datasets.load_diabetes, "progression", scaled=False)

    import palmerpenguins  # ships penguins.csv (Horst, Hill & Gorman 2020, CC0)
    source = pathlib.Path(palmerpenguins.__file__).parent / "data" / "penguins.csv"
    shutil.copyfile(source, HERE / "penguins.csv")
    print("wrote penguins.csv")


if __name__ == "__main__":
    main()
