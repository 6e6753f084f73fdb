"""A run keeps the preprocessing fitted on its training rows: it is saved in project.json,
read back field by field, and encodes new rows exactly as it did before saving."""

import numpy as np

from engine import training
from engine.data.preprocessing import Preprocessor
from nnstudio.document import project_file
from nnstudio.document.model import DataSource, Node, Project
from nnstudio.training import snapshot


def _penguins_run():
    project = Project()
    project.data = DataSource("builtin", {"name": "penguins"},
                              {"bill_length_mm": {"missing": "mean"},
                               "sex": {"missing": "most_frequent"},
                               "body_mass_g": {"scale": "minmax"}, "year": {"scale": "none"}})
    project.add_node(Node("in", "input", {}))
    project.add_node(Node("out", "dense", {"units": "auto", "activation": "softmax"}))
    project.edges = [("in", "out")]
    project.set_training(loss={"name": "sparse_categorical_crossentropy"}, epochs=1,
                         test_split=0.25)
    job = snapshot.prepare(project)
    events = list(training.fit(job.network, job.x, job.y, batch_events=False,
                               **job.fit_kwargs))
    project.add_run(snapshot.make_run(job, events[-1], events[-1].history, None, "run1"))
    return project, job


def test_the_fitted_preprocessor_survives_save_and_load(tmp_path):
    project, job = _penguins_run()
    path = tmp_path / "p.nnproj"
    project_file.save(project, path)
    loaded = project_file.load(path)
    assert loaded == project
    run = loaded.runs[0]
    assert run.preprocessor == job.preprocessor.to_config()
    by_kind = {c["name"]: (c["kind"], c["scale"], c["missing"])
               for c in run.preprocessor["columns"]}
    assert by_kind["island"] == ("categorical", "onehot", "drop")
    assert by_kind["bill_length_mm"] == ("numeric", "standardize", "mean")
    assert by_kind["body_mass_g"][1] == "minmax" and by_kind["year"][1] == "none"
    # the loaded numbers encode the data exactly as the job's preprocessor did
    table = snapshot.read_table(loaded.data)
    again = Preprocessor.from_config(run.preprocessor).transform(table)
    np.testing.assert_array_equal(again, job.preprocessor.transform(table))
    assert {"test_loss", "test_accuracy"} <= set(run.final_metrics)


def test_a_synthetic_run_has_no_preprocessor(tmp_path):
    from nnstudio.document import examples

    project = examples.EXAMPLES["xor-playground"]()
    project.set_training(epochs=1)
    job = snapshot.prepare(project)
    events = list(training.fit(job.network, job.x, job.y, batch_events=False,
                               **job.fit_kwargs))
    project.add_run(snapshot.make_run(job, events[-1], events[-1].history, None, "run1"))
    path = tmp_path / "x.nnproj"
    project_file.save(project, path)
    assert project_file.load(path).runs[0].preprocessor is None


def test_a_run_whose_preprocessor_would_not_load_is_not_saved(tmp_path):
    import pytest

    from nnstudio.document.errors import ProjectSaveError

    project, job = _penguins_run()
    path = tmp_path / "p.nnproj"
    project_file.save(project, path)
    before = path.read_bytes()
    project.runs[0].preprocessor["columns"][1]["width"] = 0.0
    with pytest.raises(ProjectSaveError, match=r"preprocessor.columns\[1\].width: the "
                                               r"project cannot be saved: must be a finite "
                                               r"number > 0"):
        project_file.save(project, path)
    assert path.read_bytes() == before  # the file on disk is left as it was
