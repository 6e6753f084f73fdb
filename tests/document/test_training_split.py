"""The training snapshot's splits: stratified for classification, reproducible by seed, the
same rows everywhere that repeats fit's split; balanced class weights from the training rows."""

from __future__ import annotations

import numpy as np
import pytest

from engine import training as engine_training
from engine.data.splits import SplitError, stratified_holdout
from nnstudio.document import examples
from nnstudio.document.model import DataSource
from nnstudio.training import probes, snapshot

# 200 rows: 180 of class "common", 20 of class "rare"
CSV = ("x1,x2,label\n" + "".join(
    f"{(i * 37) % 11 * 0.3:.2f},{(i * 13) % 7 * 0.5 + (3 if i % 10 == 0 else 0):.2f},"
    f"{'rare' if i % 10 == 0 else 'common'}\n" for i in range(200))).encode()


def imbalanced_project(**training):
    project = examples.spirals_classifier()
    project.set_data(DataSource("csv", {"file": "imb.csv"}, {}), {"imb.csv": CSV})
    project.set_training(**{"validation_split": 0.2, "test_split": 0.25, **training})
    return project


def test_stratified_holdout_takes_each_class_in_proportion():
    y = np.array([0] * 50 + [1] * 30 + [2] * 20)
    order = np.random.default_rng(4).permutation(100)
    out, rest = stratified_holdout(y, 25, order)
    assert len(out) == 25 and len(rest) == 75
    assert sorted(np.concatenate([out, rest]).tolist()) == list(range(100))
    # 12.5, 7.5, 5 -> 12 or 13, 7 or 8, 5, summing to 25 exactly
    counts = np.bincount(y[out], minlength=3)
    assert counts.sum() == 25 and counts[2] == 5 and abs(counts[0] - 12.5) < 1
    # the same order gives the same choice; rows come in that order
    again, _ = stratified_holdout(y, 25, order)
    assert np.array_equal(out, again)
    assert np.array_equal(out, order[np.isin(order, out)])
    with pytest.raises(SplitError):
        stratified_holdout(y, 101, order)


def test_test_and_validation_splits_keep_the_class_balance():
    project = imbalanced_project()
    job = snapshot.prepare(project)
    labels = job.dataset.y
    rare = int(np.argmin(np.bincount(labels)))
    assert (labels == rare).sum() == 20
    # test split: 50 of 200 rows, 25 % of each class
    assert len(job.x_test) == 50 and (job.y_test == rare).sum() == 5
    # validation, as fit and the probes take it: 30 of the 150 rows, 20 % of each class
    val, train = probes.validation_indices(len(job.x), 0.2, job.fit_kwargs["seed"])
    assert len(val) == 30 and (job.y[val] == rare).sum() == 3
    assert (job.y[train] == rare).sum() == 12
    # fit's own split holds out exactly those rows: its validation loss is that of job.x[val]
    events = list(engine_training.fit(job.network, job.x, job.y,
                                      **{**job.fit_kwargs, "epochs": 1}))
    finished = events[-1]
    assert finished.history.validation["val_loss"][-1] == pytest.approx(
        float(job.network.loss_and_gradients(job.x[val], job.y[val], job.fit_kwargs["loss"],
                                             training=False)[0]), rel=1e-5)


@pytest.mark.parametrize("seed", [0, 5])
def test_stratified_split_is_reproducible_by_seed(seed):
    a = snapshot.prepare(imbalanced_project(seed=seed))
    b = snapshot.prepare(imbalanced_project(seed=seed))
    c = snapshot.prepare(imbalanced_project(seed=seed + 1))
    assert np.array_equal(a.x, b.x) and np.array_equal(a.x_test, b.x_test)
    assert not np.array_equal(a.x_test, c.x_test)


def test_preprocessing_is_fitted_on_the_stratified_training_rows():
    project = imbalanced_project()
    project.set_data(DataSource("csv", {"file": "imb.csv"}, {"x1": {"scale": "minmax"}}),
                     {"imb.csv": CSV})
    job = snapshot.prepare(project)
    rows = snapshot._training_rows(len(job.dataset.x), project.training, job.dataset.y)
    x1 = job.dataset.x[rows, 0]
    assert x1.min() == pytest.approx(0) and x1.max() == pytest.approx(1)
    # exactly the rows fit trains on
    _val, train = probes.validation_indices(len(job.x), 0.2, job.fit_kwargs["seed"])
    assert sorted(map(tuple, job.x[train])) == sorted(map(tuple, job.dataset.x[rows]))


def test_regression_keeps_the_plain_random_split():
    project = examples.plane_regression()
    project.set_training(test_split=0.2)
    job = snapshot.prepare(project)
    perm = np.random.default_rng([int(project.training.seed), 3]).permutation(
        len(job.dataset.x))
    n_test = round(len(perm) * 0.2)
    assert np.array_equal(job.x_test, job.dataset.x[perm[:n_test]])
    assert np.array_equal(job.x, job.dataset.x[perm[n_test:]])


def test_balanced_class_weights_come_from_the_training_rows():
    project = imbalanced_project(loss={"name": "sparse_categorical_crossentropy",
                                       "weight": "balanced"})
    job = snapshot.prepare(project)
    _val, train = probes.validation_indices(len(job.x), 0.2, job.fit_kwargs["seed"])
    counts = np.bincount(job.y[train], minlength=2)
    expected = len(train) / (2 * counts)              # w_c = n / (k n_c)
    assert job.fit_kwargs["loss"]["weight"] == pytest.approx(expected.tolist())
    # the run records the numbers it trained with; the document keeps "balanced"
    assert job.training.loss["weight"] == pytest.approx(expected.tolist())
    assert project.training.loss["weight"] == "balanced"
    events = list(engine_training.fit(job.network, job.x, job.y,
                                      **{**job.fit_kwargs, "epochs": 2}))
    assert np.isfinite(events[-1].history.train["loss"][-1])


def test_balanced_weights_for_one_sigmoid_unit():
    project = examples.xor_playground()   # one sigmoid unit, binary cross-entropy
    project.set_data(DataSource("csv", {"file": "imb.csv"}, {}), {"imb.csv": CSV})
    project.set_training(validation_split=0.2, loss={"name": "binary_crossentropy",
                                                     "weight": "balanced"})
    job = snapshot.prepare(project)
    _val, train = probes.validation_indices(len(job.x), 0.2, job.fit_kwargs["seed"])
    y = job.y[train, 0]
    n1 = y.sum()
    n0 = len(y) - n1
    w0, w1 = len(y) / (2 * n0), len(y) / (2 * n1)
    loss = job.fit_kwargs["loss"]
    assert loss["weight"] == pytest.approx([w0]) and loss["pos_weight"] == pytest.approx(
        [w1 / w0])
    events = list(engine_training.fit(job.network, job.x, job.y,
                                      **{**job.fit_kwargs, "epochs": 1}))
    assert isinstance(events[-1], engine_training.Finished)


def test_a_balanced_loss_round_trips_through_the_project_file():
    from nnstudio.document import project_file as pf

    project = imbalanced_project(loss={"name": "categorical_crossentropy",
                                       "weight": "balanced"})
    again = pf.loads(pf.dumps(project))
    assert again == project and again.training.loss["weight"] == "balanced"
    job = snapshot.prepare(again)
    assert len(job.fit_kwargs["loss"]["weight"]) == 2
