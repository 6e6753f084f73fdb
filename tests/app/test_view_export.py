"""Every view of the window exported as PNG, SVG and CSV, from its dock's context menu and
from File > Export, after a real training."""

import csv
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction, QImage
from PySide6.QtWidgets import QApplication, QMenu
from window_helpers import set_epochs

from nnstudio.views import view_export

TRAIN_TIMEOUT = 60_000  # ms
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def trained(window, qtbot):
    """The spirals classifier after a real 5-epoch run."""
    window.findChild(QAction, "action_example_spirals-classifier").trigger()
    set_epochs(window, qtbot, 5)
    with qtbot.waitSignal(window.controller.finished, timeout=TRAIN_TIMEOUT):
        window.actions_by_name["train"].trigger()
    qtbot.waitUntil(lambda: len(window.session.project.runs) == 1)
    return window


def rows_of(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def export_from_menu(window, dock, kind, path):
    """Trigger the dock's context-menu entry "Export image…" or "Export data…"."""
    image, data = window.view_exports.actions(dock)
    window.person.will("save_path", str(path))
    (image if kind == "image" else data).trigger()


def check_png(path, widget):
    image = QImage(str(path))
    assert not image.isNull()
    assert (image.width(), image.height()) == (widget.width(), widget.height())
    # not one flat colour: the view is drawn
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7)
               for y in range(0, image.height(), 7)}
    assert len(colours) > 3


def check_svg(path, widget):
    root = ET.parse(path).getroot()
    assert root.tag == SVG + "svg"
    assert root.get("viewBox").split() == ["0", "0", str(widget.width()),
                                           str(widget.height())]
    drawn = [e for e in root.iter() if e.tag in (SVG + "polyline", SVG + "path",
                                                  SVG + "text", SVG + "rect")]
    assert len(drawn) > 10
    return root


def test_every_view_dock_offers_image_and_data_in_its_context_menu(trained):
    window = trained
    docks = window.view_exports.docks()
    expected = {window.plots_dock, window.confusion_dock, window.boundary_dock,
                window.gradient_dock, window.neuron_dock}
    assert expected <= set(docks)
    assert {d.objectName() for d in docks} >= {"plotsDock", "confusionDock",
                                                "boundaryDock", "gradientDock"}
    for dock in docks:
        image, data = window.view_exports.actions(dock)
        assert image.objectName() == f"{dock.objectName()}_exportImage"
        assert data.objectName() == f"{dock.objectName()}_exportData"
        assert dock.contextMenuPolicy() == Qt.ContextMenuPolicy.ActionsContextMenu
        # the plots' own right-click menus list them too (instead of pyqtgraph's dialog)
        import pyqtgraph as pg

        for plot in window.view_exports.view(dock).findChildren(pg.GraphicsView):
            assert plot.scene().contextMenu[:2] == [image, data]


def test_a_right_click_on_the_loss_curves_offers_the_exports(trained, qtbot):
    window = trained
    window.plots_dock.raise_()
    viewport = window.loss_plot.loss_plot.viewport()
    qtbot.waitExposed(viewport)
    qtbot.mouseClick(viewport, Qt.MouseButton.RightButton,
                     pos=QPoint(viewport.width() // 2, viewport.height() // 2))
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu))
    menu = QApplication.activePopupWidget()
    try:
        texts = [a.text().replace("&", "") for a in menu.actions()]
        assert "Export Image…" in texts and "Export Data…" in texts
    finally:
        menu.close()


def test_the_loss_plot_as_png_svg_and_csv(trained, tmp_path):
    window, dock, plot = trained, trained.plots_dock, trained.loss_plot
    export_from_menu(window, dock, "image", tmp_path / "loss.png")
    check_png(tmp_path / "loss.png", plot)
    export_from_menu(window, dock, "image", tmp_path / "loss.svg")
    root = check_svg(tmp_path / "loss.svg", plot)
    texts = " ".join(e.text or "" for e in root.iter(SVG + "text"))
    assert "training" in texts and "epoch" in texts  # text stays text
    export_from_menu(window, dock, "data", tmp_path / "loss")  # the suffix is added
    rows = rows_of(tmp_path / "loss.csv")
    series = plot.series()
    assert rows[0] == ["epoch", "loss", "val_loss", "accuracy", "val_accuracy"]
    assert [int(r[0]) for r in rows[1:]] == [1, 2, 3, 4, 5]
    for c, key in enumerate(rows[0][1:], start=1):
        assert [float(r[c]) for r in rows[1:]] == series[key]
    assert window.person.errors == []


def test_the_confusion_matrix_as_png_svg_and_csv(trained, tmp_path):
    window, dock, view = trained, trained.confusion_dock, trained.confusion_view
    dock.raise_()
    export_from_menu(window, dock, "image", tmp_path / "c.png")
    check_png(tmp_path / "c.png", view)
    export_from_menu(window, dock, "image", tmp_path / "c.svg")
    check_svg(tmp_path / "c.svg", view)
    export_from_menu(window, dock, "data", tmp_path / "c.csv")
    rows = rows_of(tmp_path / "c.csv")
    k = len(view.class_names)
    assert rows[0][1:] == list(view.class_names)
    np.testing.assert_array_equal(np.array([[int(v) for v in r[1:]] for r in rows[1:k + 1]]),
                                  view.matrix)


def test_the_decision_boundary_and_the_gradient_flow_as_csv(trained, tmp_path):
    window = trained
    export_from_menu(window, window.boundary_dock, "data", tmp_path / "b.csv")
    grid = window.boundary_view.grid
    rows = rows_of(tmp_path / "b.csv")
    n = grid["resolution"]
    assert len(rows) == 1 + n * n
    values = np.asarray(grid["values"])
    predicted = values.argmax(axis=-1).ravel()
    assert [int(r[2]) for r in rows[1:]] == list(predicted)

    export_from_menu(window, window.gradient_dock, "data", tmp_path / "g.csv")
    rows = rows_of(tmp_path / "g.csv")
    norms = window.gradient_view.norms()
    assert rows[0] == ["epoch", *norms]
    for c, layer in enumerate(norms, start=1):
        assert [float(r[c]) for r in rows[1:]] == norms[layer]
    export_from_menu(window, window.gradient_dock, "image", tmp_path / "g.svg")
    check_svg(tmp_path / "g.svg", window.gradient_view)
    assert window.person.errors == []


def test_every_registered_view_writes_an_image_and_its_data(trained, tmp_path):
    """Whatever views the window has (regression, histograms, step, ... included)."""
    window = trained
    for dock in window.view_exports.docks():
        view = window.view_exports.view(dock)
        name = dock.objectName()
        dock.raise_()
        export_from_menu(window, dock, "image", tmp_path / f"{name}.png")
        assert not QImage(str(tmp_path / f"{name}.png")).isNull(), name
        export_from_menu(window, dock, "image", tmp_path / f"{name}.svg")
        assert ET.parse(tmp_path / f"{name}.svg").getroot().tag == SVG + "svg", name
        data_action = window.view_exports.actions(dock)[1]
        assert data_action.isEnabled() == view_export.has_data(view), name
        if not view_export.has_data(view):  # e.g. the neuron view: an image only
            continue
        export_from_menu(window, dock, "data", tmp_path / f"{name}.csv")
        table = view_export.export_table(view)
        if table is not None:  # the CSV holds exactly the view's table
            header, body = table
            assert rows_of(tmp_path / f"{name}.csv") == [list(map(str, header))] + [
                [str(c) for c in r] for r in body], name
        else:
            assert (tmp_path / f"{name}.csv").exists(), name
    assert window.person.errors == []


def test_file_export_writes_the_view_in_front(trained, tmp_path):
    window = trained
    window.gradient_dock.raise_()
    assert window.view_exports.current_dock() is window.gradient_dock
    window.person.will("save_path", str(tmp_path / "front.png"))
    window.actions_by_name["export_view_image"].trigger()
    check_png(tmp_path / "front.png", window.gradient_view)
    window.confusion_dock.raise_()
    window.person.will("save_path", str(tmp_path / "front.csv"))
    window.actions_by_name["export_view_data"].trigger()
    assert rows_of(tmp_path / "front.csv")[0][1:] == list(window.confusion_view.class_names)
    # the loss plot's own entry writes SVG too
    window.person.will("save_path", str(tmp_path / "loss.svg"))
    window.actions_by_name["export_plot_png"].trigger()
    check_svg(tmp_path / "loss.svg", window.loss_plot)
    assert window.person.errors == []


def test_a_file_that_cannot_be_written_is_reported(trained, tmp_path):
    window = trained
    for kind, name in (("image", "x.png"), ("image", "x.svg"), ("data", "x.csv")):
        export_from_menu(window, window.plots_dock, kind,
                         tmp_path / "no-such-folder" / name)
        title, message = window.person.errors.pop()
        assert name in message
    assert not (tmp_path / "no-such-folder").exists()


def test_a_cancelled_export_writes_nothing(trained, tmp_path):
    window = trained
    window.person.will("save_path", None)
    window.view_exports.export_image(window.plots_dock)
    assert window.person.errors == [] and list(tmp_path.glob("*.png")) == []
