"""``evaluate --data`` and ``predict`` on raw CSV files the way people write them: blank and
empty rows, another delimiter, numeric class labels, missing targets, unseen categories.
Labels must stay with their own rows, and row numbers must be the file's lines."""

import csv
import json
import warnings

import numpy as np
import pytest

from nnstudio import cli
from nnstudio.document import project_file
from nnstudio.document.model import DataSource, Node, Project

from .test_cli_raw_csv import HEADER, ROWS, _write_csv, penguins_project

PENGUIN_HEADER = ["species", "island", "bill_length_mm", "bill_depth_mm",
                  "flipper_length_mm", "body_mass_g", "sex", "year"]
# three real rows of penguins.csv (one per species), a fourth without bill depth
ADELIE = ["Adelie", "Torgersen", 39.1, 18.7, 181, 3750, "male", 2007]
GENTOO = ["Gentoo", "Biscoe", 46.1, 13.2, 211, 4500, "female", 2007]
CHINSTRAP = ["Chinstrap", "Dream", 46.5, 17.9, 192, 3500, "female", 2007]
NO_DEPTH = ["Chinstrap", "Dream", 50.0, "", 196, 3900, "male", 2008]


@pytest.fixture(scope="module")
def penguins(tmp_path_factory):
    path = tmp_path_factory.mktemp("penguins") / "penguins.nnproj"
    project = penguins_project()
    project.set_training(epochs=15)
    project_file.save(project, path)
    assert cli.main(["train", str(path)]) == 0
    return path


def _predicted(path, tmp_path, header, rows) -> list[str]:
    """The classes ``predict`` gives ``rows``: labels the model gets right by definition."""
    inp = _write_csv(tmp_path / "features.csv", header, rows)
    out = tmp_path / "predicted.csv"
    assert cli.main(["predict", str(path), str(inp), "-o", str(out)]) == 0
    return [r[0] for r in list(csv.reader(open(out)))[1:]]


def _labelled(path, tmp_path, rows):
    """``rows`` (penguin rows) with the species the model predicts for each."""
    classes = _predicted(path, tmp_path, PENGUIN_HEADER[1:], [r[1:] for r in rows])
    return [[c or r[0]] + r[1:] for r, c in zip(rows, classes)]


def _evaluate_json(capsys, *args):
    capsys.readouterr()
    code = cli.main(["evaluate", *map(str, args), "--json"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code == 0 else None), err


@pytest.mark.parametrize("empty_at", [1, 0])
def test_labels_stay_with_their_rows_around_an_empty_row(penguins, tmp_path, capsys, empty_at):
    rows = _labelled(penguins, tmp_path, [ADELIE, GENTOO, CHINSTRAP])
    assert len({r[0] for r in rows}) >= 2  # shifted labels would be wrong
    body = [rows[0], rows[1], NO_DEPTH, rows[2]]
    body.insert(empty_at, [""] * len(PENGUIN_HEADER))  # ',,,,,,,'
    data = _write_csv(tmp_path / "labelled.csv", PENGUIN_HEADER, body)
    assert data.read_text().splitlines()[1 + empty_at] == ",,,,,,,"
    code, result, err = _evaluate_json(capsys, penguins, "--data", data)
    assert code == 0, err
    assert result["n_samples"] == 3 and result["accuracy"] == 1.0
    assert result["skipped"] == {"no_target": 1, "missing_value": 1}
    no_depth_line = 2 + body.index(NO_DEPTH)
    assert err.count("\n") == 1 and f"rows {no_depth_line}" in err, err
    assert f"rows {2 + empty_at}" in err


def test_a_semicolon_file_evaluates_as_it_predicts(penguins, tmp_path, capsys):
    rows = _labelled(penguins, tmp_path, [ADELIE, GENTOO, CHINSTRAP])
    data = tmp_path / "semicolon.csv"
    with open(data, "w", newline="") as f:
        csv.writer(f, delimiter=";").writerows([PENGUIN_HEADER] + rows)
    code, result, err = _evaluate_json(capsys, penguins, "--data", data)
    assert code == 0, err
    assert result["n_samples"] == 3 and result["accuracy"] == 1.0


def test_an_unknown_class_is_named_by_its_file_line(penguins, tmp_path, capsys):
    data = tmp_path / "emperor.csv"
    lines = [",".join(PENGUIN_HEADER), "", ",".join(map(str, ADELIE)),
             ",".join(map(str, ["Emperor"] + GENTOO[1:]))]
    data.write_text("\n".join(lines) + "\n")
    code, _, err = _evaluate_json(capsys, penguins, "--data", data)
    assert code == cli.EXIT_CSV
    assert err.count("\n") == 1 and "row 4" in err and "unknown class 'Emperor'" in err, err


def test_the_training_file_with_a_missing_species_is_evaluated(penguins, tmp_path, capsys):
    from engine.data.builtin import BUILTIN_DATASETS

    lines = BUILTIN_DATASETS.get("penguins").path().read_text().splitlines()
    lines[5] = "NA" + lines[5][lines[5].index(","):]  # line 6: a species nobody wrote down
    data = tmp_path / "penguins.csv"
    data.write_text("\n".join(lines) + "\n")
    code, result, err = _evaluate_json(capsys, penguins, "--data", data)
    assert code == 0, err
    # 344 rows: 2 without bill depth (dropped by training), 1 without species
    assert result["n_samples"] == 341
    assert result["skipped"] == {"no_target": 1, "missing_value": 2}
    assert "1 without a target value (rows 6)" in err


def test_no_row_left_is_one_line_and_exit_6(penguins, tmp_path, capsys):
    data = _write_csv(tmp_path / "nothing.csv", PENGUIN_HEADER,
                      [["NA"] + ADELIE[1:], NO_DEPTH])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code, _, err = _evaluate_json(capsys, penguins, "--data", data)
    assert code == cli.EXIT_CSV
    assert err.count("\n") == 1 and "no row could be evaluated" in err, err
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)]


def test_unseen_categories_are_counted_per_column(penguins, tmp_path, capsys):
    inp = _write_csv(tmp_path / "new.csv", HEADER, ROWS + [["f", "unknown", 2008, 4000, 200,
                                                            17.0, 40.0, "Atlantis"]])
    out = tmp_path / "out.csv"
    capsys.readouterr()
    assert cli.main(["predict", str(penguins), str(inp), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "island 2" in err and "sex 1" in err, err
    assert len(list(csv.reader(open(out)))) == 7  # the predictions are all there


def test_predict_names_skipped_rows_by_file_line(penguins, tmp_path, capsys):
    text = [",".join(HEADER), ",".join(map(str, ROWS[0])), "", "",
            ",".join(map(str, ROWS[4]))]  # ROWS[4] lacks bill depth: on line 5
    inp = tmp_path / "blank.csv"
    inp.write_text("\n".join(text) + "\n")
    out = tmp_path / "out.csv"
    capsys.readouterr()
    assert cli.main(["predict", str(penguins), str(inp), "-o", str(out)]) == 0
    assert "1 row(s) left empty (rows 5)" in capsys.readouterr().out


def test_text_in_a_numeric_column_is_not_import_advice(penguins, tmp_path, capsys):
    rows = [list(r) for r in ROWS]
    rows[1][3] = "heavy"  # body_mass_g, line 3
    inp = _write_csv(tmp_path / "bad.csv", HEADER, rows)
    capsys.readouterr()
    code = cli.main(["predict", str(penguins), str(inp), "-o", str(tmp_path / "o.csv")])
    assert code == cli.EXIT_CSV
    err = capsys.readouterr().err
    assert "row 3" in err and "'body_mass_g'" in err and "'heavy' is not a number" in err
    assert "detection" not in err and "make it categorical" not in err, err


# -- numeric classes and regression, from a CSV linked by a relative path --------------------
def numeric_classes_project(folder):
    rng = np.random.default_rng(3)
    x1 = rng.uniform(-1, 1, 150)
    x2 = rng.normal(0, 0.1, 150)
    label = np.where(x1 < -0.33, 10, np.where(x1 < 0.33, 20, 30))
    data = folder / "levels.csv"
    _write_csv(data, ["x1", "x2", "level"],
               [[f"{a:.3f}", f"{b:.3f}", int(c)] for a, b, c in zip(x1, x2, label)])
    project = Project()
    project.data = DataSource("csv", {"path": "levels.csv", "target": "level",
                                      "task": "classification"}, {})
    project.add_node(Node("in", "input", {}))
    project.add_node(Node("h", "dense", {"units": 16, "activation": "tanh"}))
    project.add_node(Node("out", "dense", {"units": "auto", "activation": "softmax"}))
    project.edges = [("in", "h"), ("h", "out")]
    project.set_training(loss={"name": "sparse_categorical_crossentropy"}, epochs=20,
                         batch_size=16, validation_split=0.2,
                         optimizer={"name": "adam", "lr": 0.05})
    path = folder / "levels.nnproj"
    project_file.save(project, path)
    return path


@pytest.fixture(scope="module")
def levels(tmp_path_factory):
    path = numeric_classes_project(tmp_path_factory.mktemp("levels"))
    assert cli.main(["train", str(path)]) == 0
    return path


def test_numeric_labels_match_by_value_never_by_position(levels, tmp_path, capsys):
    features = [[-0.9, 0.0], [0.0, 0.0], [0.9, 0.0]]
    classes = _predicted(levels, tmp_path, ["x1", "x2"], features)
    assert sorted(set(classes)) == ["10", "20", "30"]
    # '20.0' is the class 20 (the torch script compares labels as numbers)
    written = [f"{c}.0" for c in classes]
    data = _write_csv(tmp_path / "levels.csv", ["x1", "x2", "level"],
                      [f + [w] for f, w in zip(features, written)])
    code, result, err = _evaluate_json(capsys, levels, "--data", data)
    assert code == 0, err
    assert result["n_samples"] == 3 and result["accuracy"] == 1.0
    # '1' is no class: not the class at index 1
    data = _write_csv(tmp_path / "index.csv", ["x1", "x2", "level"], [[0.0, 0.0, "1"]])
    code, _, err = _evaluate_json(capsys, levels, "--data", data)
    assert code == cli.EXIT_CSV and "unknown class '1'" in err and "row 2" in err, err


def test_regression_skips_rows_without_a_target(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (80, 2))
    rows = [[f"{a:.3f}", f"{b:.3f}", f"{a + 2 * b:.3f}"] for a, b in x]
    rows[6][2] = ""        # line 8: no target, in the training file itself
    _write_csv(tmp_path / "plane.csv", ["x1", "x2", "y"], rows)
    project = Project()
    project.data = DataSource("csv", {"path": "plane.csv", "target": "y",
                                      "task": "regression"}, {})
    project.add_node(Node("in", "input", {}))
    project.add_node(Node("out", "dense", {"units": "auto", "activation": "linear"}))
    project.edges = [("in", "out")]
    project.set_training(loss={"name": "mse"}, metrics=["mae"], epochs=3, batch_size=16,
                         optimizer={"name": "adam", "lr": 0.05})
    path = tmp_path / "plane.nnproj"
    project_file.save(project, path)
    assert cli.main(["train", str(path)]) == 0
    code, result, err = _evaluate_json(capsys, path, "--data", tmp_path / "plane.csv")
    assert code == 0, err
    assert result["n_samples"] == 79 and result["skipped"]["no_target"] == 1
    assert "1 without a target value (rows 8)" in err
    rows[10][2] = "tall"   # line 12: not a number, named with its row and column
    bad = _write_csv(tmp_path / "bad.csv", ["x1", "x2", "y"], rows)
    code, _, err = _evaluate_json(capsys, path, "--data", bad)
    assert code == cli.EXIT_CSV and "row 12" in err and "column 'y'" in err, err
