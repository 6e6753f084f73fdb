"""Decision boundary: grids computed in the worker, drawn by the view; holding at the mean."""

import csv

import numpy as np
import pytest
from PySide6.QtWidgets import QWidget

from engine import network as network_module
from nnstudio.document import examples
from nnstudio.training import probes
from nnstudio.training.snapshot import prepare
from nnstudio.views.decision_boundary import DecisionBoundaryView, grid_rgb

TIMEOUT = 60_000


@pytest.fixture
def view(qtbot):
    widget = DecisionBoundaryView()
    widget.resize(640, 560)
    qtbot.addWidget(widget)
    return widget


def points_of(grid):
    return probes.grid_points(grid["x_range"], grid["y_range"], grid["resolution"],
                              grid["features"], np.asarray(grid["hold"]))


def test_the_view_updates_during_a_run_and_ends_with_the_final_weights(
        qtbot, view, controller):
    project = examples.spirals_classifier()
    project.set_training(epochs=100_000, batch_size=16)  # trains until stopped
    job = prepare(project)
    view.set_job(job)
    controller.boundaryUpdated.connect(view.set_grid)
    grids = []
    controller.boundaryUpdated.connect(grids.append)
    controller.start(job)
    qtbot.waitUntil(lambda: len(grids) >= 2, timeout=TIMEOUT)  # grids while it trains
    with qtbot.waitSignal(controller.finished, timeout=TIMEOUT) as blocker:
        controller.stop()
    assert blocker.args[0]["status"] == "stopped"

    assert len(grids) >= 3 and view.n_grids == len(grids)
    assert [g["final"] for g in grids].count(True) == 1 and grids[-1]["final"]
    iterations = [g["iteration"] for g in grids]
    assert iterations == sorted(iterations) and iterations[0] < iterations[-1]
    last = grids[-1]
    assert view.grid is last
    assert last["values"].dtype == np.float32 and last["values"].shape == (100, 100, 3)
    # the grid holds the final weights' predictions at the grid points
    predicted = job.network.predict(points_of(last))
    np.testing.assert_array_equal(last["values"].reshape(-1, 3).argmax(axis=1),
                                  predicted.argmax(axis=1))
    np.testing.assert_allclose(last["values"].reshape(-1, 3), predicted, rtol=1e-6)
    # it spans the data
    assert last["x_range"][0] < job.x[:, 0].min() and last["x_range"][1] > job.x[:, 0].max()
    # an earlier grid came from other (earlier) weights
    assert not np.array_equal(grids[0]["values"], last["values"])
    # the image is what grid_rgb makes of the final grid; the points are the data
    np.testing.assert_array_equal(view.image.image, grid_rgb(last["values"], True))
    assert len(view.points.data) == len(job.x)


def test_after_a_run_other_features_give_a_new_grid_at_once(qtbot, view, controller):
    project = examples.xor_playground()
    project.set_training(epochs=5)
    job = prepare(project)
    view.set_job(job)
    controller.boundaryUpdated.connect(view.set_grid)
    with qtbot.waitSignal(controller.finished, timeout=TIMEOUT):
        controller.start(job)
    final = view.grid
    assert final["values"].shape == (100, 100, 1)  # one sigmoid output
    with qtbot.waitSignal(controller.boundaryUpdated, timeout=2000) as blocker:
        controller.set_boundary_features(1, 0)
    swapped = blocker.args[0]
    assert swapped["features"] == (1, 0) and view.grid is swapped
    np.testing.assert_allclose(swapped["values"].reshape(-1, 1),
                               job.network.predict(points_of(swapped)), rtol=1e-6)


def test_more_features_are_held_at_the_training_mean():
    spec = examples.spirals_classifier().spec()
    net = network_module.build(spec, 4, 3, seed=1)
    rng = np.random.default_rng(0)
    x = (rng.normal(size=(200, 4)) * [1, 2, 3, 4] + [0, 10, -5, 1]).astype(np.float32)
    mean = x.astype(np.float64).mean(axis=0)

    grid = probes.boundary(net, x, features=(2, 0), resolution=30, hold=mean)

    points = points_of(grid)
    assert points.shape == (900, 4)
    np.testing.assert_allclose(points[:, 1], mean[1], rtol=1e-6)
    np.testing.assert_allclose(points[:, 3], mean[3], rtol=1e-6)
    # feature 2 runs along the columns, feature 0 along the rows, over the data's range
    assert points[1, 2] > points[0, 2] and points[1, 0] == points[0, 0]
    assert points[30, 0] > points[0, 0] and points[30, 2] == points[0, 2]
    assert grid["x_range"][0] < x[:, 2].min() and grid["y_range"][1] > x[:, 0].max()
    np.testing.assert_array_equal(grid["values"].reshape(-1, 3).argmax(axis=1),
                                  net.predict(points).argmax(axis=1))


def test_the_feature_pickers_for_more_than_two_features(qtbot, view):
    x = np.random.default_rng(0).normal(size=(50, 3)).astype(np.float32)
    view.set_data(x, np.arange(50) % 2, ["a", "b", "c"], ["no", "yes"])
    assert view.x_feature.isVisibleTo(view) and view.note.isVisibleTo(view)
    picked = []
    view.featuresChanged.connect(lambda i, j: picked.append((i, j)))
    view.y_feature.setCurrentIndex(2)
    view.y_feature.activated.emit(2)
    assert picked == [(0, 2)] and view.features == (0, 2)
    np.testing.assert_array_equal(view.points.data["y"], x[:, 2])
    view.set_data(x[:, :2], np.arange(50) % 2)
    assert not view.x_feature.isVisibleTo(view)


def test_regression_colours_and_exports(tmp_path, qtbot, view):
    x = np.random.default_rng(0).normal(size=(40, 2)).astype(np.float32)
    view.set_data(x, x[:, :1] * 2, ["u", "v"], classification=False)
    values = np.linspace(-1, 1, 16, dtype=np.float32).reshape(4, 4, 1)
    view.set_grid({"features": (0, 1), "x_range": (-2, 2), "y_range": (-3, 3),
                   "resolution": 4, "hold": [0.0, 0.0], "values": values, "epoch": 0,
                   "iteration": 7, "final": True, "classification": False})
    assert view.image.image.shape == (4, 4, 3)
    view.export_csv(tmp_path / "b.csv")
    with open(tmp_path / "b.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["u", "v", "prediction"] and len(rows) == 17
    assert float(rows[1][0]) == -1.5 and float(rows[1][1]) == -2.25
    assert float(rows[-1][2]) == pytest.approx(1.0)
    assert view.export_png(tmp_path / "b.png") and (tmp_path / "b.png").stat().st_size > 1000
    for name in ("decisionBoundaryPlot", "decisionBoundaryXFeature",
                 "decisionBoundaryYFeature", "decisionBoundarySummary", "decisionBoundaryNote"):
        widget = view.findChild(QWidget, name)
        assert widget is not None and widget.accessibleName()


# -- the principal-component plane ------------------------------------------------------------
def test_the_principal_plane_is_the_datas_two_widest_directions():
    rng = np.random.default_rng(3)
    # 4-D data: wide along (1, 1, 0, 0) / sqrt 2, less along (0, 0, 1, 0), thin elsewhere
    u = np.array([1.0, 1.0, 0.0, 0.0]) / np.sqrt(2)
    v = np.array([0.0, 0.0, 1.0, 0.0])
    x = (rng.normal(size=(500, 1)) * 10 * u + rng.normal(size=(500, 1)) * 3 * v
         + rng.normal(size=(500, 4)) * 0.1 + [5, -2, 1, 0]).astype(np.float32)
    centre = x.astype(np.float64).mean(axis=0)
    basis = probes.principal_plane(x, centre)
    assert basis.shape == (2, 4)
    np.testing.assert_allclose(basis @ basis.T, np.eye(2), atol=1e-9)  # orthonormal
    np.testing.assert_allclose(basis[0], u, atol=0.05)  # signed: largest entry positive
    np.testing.assert_allclose(basis[1], v, atol=0.05)
    # independently: the top right singular vectors of the centred data
    _, _, vt = np.linalg.svd(x - centre, full_matrices=False)
    for k in range(2):
        assert abs(abs(float(vt[k] @ basis[k])) - 1) < 1e-6


def test_a_pca_grid_is_the_networks_output_over_the_plane():
    spec = examples.spirals_classifier().spec()
    net = network_module.build(spec, 4, 3, seed=1)
    rng = np.random.default_rng(0)
    x = (rng.normal(size=(300, 4)) * [1, 2, 3, 4] + [0, 10, -5, 1]).astype(np.float32)
    mean = x.astype(np.float64).mean(axis=0)

    grid = probes.boundary(net, x, features=probes.PCA, resolution=20, hold=mean)

    basis = grid["basis"]
    assert grid["features"] == probes.PCA and basis.shape == (2, 4)
    n = 20
    (x0, x1), (y0, y1) = grid["x_range"], grid["y_range"]
    a = x0 + (np.arange(n) + 0.5) * (x1 - x0) / n
    b = y0 + (np.arange(n) + 0.5) * (y1 - y0) / n
    # row r, column c: the input at mean + a[c] * pc1 + b[r] * pc2
    r, c = 7, 12
    point = (mean + a[c] * basis[0] + b[r] * basis[1]).astype(np.float32)
    np.testing.assert_allclose(grid["values"][r, c], net.predict(point[None])[0], rtol=1e-5)
    # the grid spans the data's projections
    coords = probes.project(x, mean, basis)
    assert x0 < coords[:, 0].min() and x1 > coords[:, 0].max()
    assert y0 < coords[:, 1].min() and y1 > coords[:, 1].max()


def test_through_the_window_the_boundary_over_the_pca_plane(window, qtbot, tmp_path):
    window.open_example("spirals-classifier")
    project = window.session.project
    from nnstudio.document.model import DataSource
    from nnstudio.editor.commands import SetData

    window.session.push(SetData(project, DataSource("builtin", {"name": "iris"})))
    qtbot.waitUntil(lambda: not window.data_panel.loading(), timeout=TIMEOUT)
    window.boundary_dock.raise_()
    view = window.boundary_view
    with qtbot.waitSignal(window.controller.finished, timeout=TIMEOUT):
        window.actions_by_name["train"].trigger()
    assert view.axes.isVisible() and view.x_feature.isVisible()  # 4 features: a choice
    # the person picks the PCA projection: the finished run's grid over that plane at once
    view.axes.setCurrentIndex(1)
    with qtbot.waitSignal(window.controller.boundaryUpdated, timeout=TIMEOUT) as blocker:
        view.axes.activated.emit(1)
    grid = blocker.args[0]
    assert grid["features"] == probes.PCA and view.grid is grid and grid["final"]
    assert not view.x_feature.isVisible() and "vary most" in view.note.text()
    job = window.controller.job
    basis, centre = grid["basis"], np.asarray(grid["hold"])
    # the data points sit at their projections onto that plane
    coords = probes.project(job.x, centre, basis)
    np.testing.assert_allclose(view.points.data["x"], coords[:, 0], rtol=1e-6)
    np.testing.assert_allclose(view.points.data["y"], coords[:, 1], rtol=1e-6)
    assert view.plot.getPlotItem().getAxis("bottom").labelText == "principal component 1"
    # and the grid is the trained network's output over it
    n = grid["resolution"]
    (x0, x1), (y0, y1) = grid["x_range"], grid["y_range"]
    a = x0 + (np.arange(n) + 0.5) * (x1 - x0) / n
    b = y0 + (np.arange(n) + 0.5) * (y1 - y0) / n
    point = (centre + a[3] * basis[0] + b[5] * basis[1]).astype(np.float32)
    np.testing.assert_allclose(grid["values"][5, 3], job.network.predict(point[None])[0],
                               rtol=1e-5, atol=1e-6)
    path = tmp_path / "pca.csv"
    view.export_csv(path)
    with open(path, newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    assert header[:2] == ["principal component 1", "principal component 2"]
    # training again keeps the choice: the run draws its boundaries over the plane
    with qtbot.waitSignal(window.controller.finished, timeout=TIMEOUT):
        window.actions_by_name["train"].trigger()
    assert probes.is_pca(view.grid["features"]) and view.grid["final"]
