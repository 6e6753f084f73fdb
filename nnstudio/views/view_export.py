"""Every view as an image (PNG or SVG) and its data as CSV: one protocol, one menu.

The protocol a view follows (any ``QWidget`` in a dock):

* its image is the widget as it looks: PNG through ``QWidget.grab``, SVG by painting it
  into a ``QSvgGenerator`` (the plots stay lines and text, not pixels) -- nothing to
  implement;
* its data is ``export_table() -> (header, rows)`` (one CSV table: a header row, then rows
  of cells), or, for a view whose data is more than one table (the confusion matrix and
  its report), ``export_csv(path)`` writing the file itself.  ``export_table`` is
  preferred when a view has both.

:class:`ViewExports` gives each registered dock a context menu "Export image… / Export
data…" (a right click on its title bar, anywhere in the view, or in a pyqtgraph plot of
it, whose own menu lists the two instead of pyqtgraph's export dialog) and exports "the
current view" for File > Export.  A view dock is registered once, in the window::

    window.view_exports.register(dock, lambda: window.some_view)

(a callable, because the window builds its views lazily).
"""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QPoint, QRect, Qt
from PySide6.QtGui import QAction, QContextMenuEvent, QPainter
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QWidget

from nnstudio.training.runs import write_csv

__all__ = ["save_png", "save_svg", "save_image", "export_table", "save_data", "ViewExports",
           "IMAGE_SUFFIXES"]

IMAGE_SUFFIXES = (".png", ".svg")


def _tr(text: str) -> str:
    return QCoreApplication.translate("ViewExport", text)


def save_png(widget: QWidget, path) -> None:
    """Write ``widget`` as it looks to a PNG file (``OSError`` when it cannot)."""
    if not widget.grab().save(str(path), "PNG"):
        raise OSError(_tr("could not write the image {0}").format(path))


def save_svg(widget: QWidget, path) -> None:
    """Write ``widget`` as it looks to an SVG file (``OSError`` when it cannot).

    The widget and its children paint themselves into the SVG, so plot lines, axes and
    text stay vector graphics (pyqtgraph's markers arrive as small embedded pictures).
    """
    from PySide6.QtSvg import QSvgGenerator  # only when someone exports an SVG

    path = str(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
        raise OSError(_tr("could not write the image {0}").format(path))
    generator = QSvgGenerator()
    generator.setFileName(path)
    generator.setSize(widget.size())
    generator.setViewBox(QRect(0, 0, widget.width(), widget.height()))
    generator.setResolution(widget.logicalDpiX())  # 1 px of the widget: 1 unit of the SVG
    generator.setTitle(widget.accessibleName() or widget.objectName())
    generator.setDescription(_tr("Exported from NN Studio"))
    painter = QPainter()
    if not painter.begin(generator):
        raise OSError(_tr("could not write the image {0}").format(path))
    items = _plot_items(widget)
    try:
        _set_export_mode(items, {"antialias": True, "painter": painter})
        widget.render(painter, QPoint(0, 0))
    finally:
        _set_export_mode(items, None)
        painter.end()
    if not os.path.isfile(path) or os.path.getsize(path) == 0:
        raise OSError(_tr("could not write the image {0}").format(path))


def _plot_views(widget: QWidget) -> list:
    """The pyqtgraph views in ``widget`` (none when it holds no plot)."""
    # not imported here: a view without plots (or a lazy view's placeholder at start-up)
    # must not pay for importing pyqtgraph
    pg = sys.modules.get("pyqtgraph")
    if pg is None:
        return []
    views = widget.findChildren(pg.GraphicsView)
    if isinstance(widget, pg.GraphicsView):
        views.append(widget)
    return views


def _plot_items(widget: QWidget) -> list:
    """The pyqtgraph items drawn in ``widget``."""
    return [item for view in _plot_views(widget) for item in view.scene().items()
            if hasattr(item, "setExportMode")]


def _set_export_mode(items, opts) -> None:
    """pyqtgraph's export mode (what its own exporters set): markers are drawn as shapes
    instead of cached pictures, which an SVG would carry as distorted bitmaps."""
    for item in items:
        item.setExportMode(opts is not None, opts)


def save_image(widget: QWidget, path) -> None:
    """PNG or SVG, by the suffix of ``path`` (PNG unless it ends in ``.svg``)."""
    if str(path).lower().endswith(".svg"):
        save_svg(widget, path)
    else:
        save_png(widget, path)


def export_table(view) -> tuple[list[str], list[list]] | None:
    """``view.export_table()`` when the view has one, else None."""
    func = getattr(view, "export_table", None)
    return func() if callable(func) else None


def has_data(view) -> bool:
    """Whether ``view`` follows the data half of the protocol."""
    return callable(getattr(view, "export_table", None)) or callable(
        getattr(view, "export_csv", None))


def save_data(view, path) -> None:
    """Write ``view``'s data to the CSV file ``path`` (``OSError`` when it cannot;
    ``TypeError`` for a view without data)."""
    table = export_table(view)
    if table is not None:
        header, rows = table
        write_csv(str(path), list(header), [list(r) for r in rows])
    elif callable(getattr(view, "export_csv", None)):
        view.export_csv(str(path))
    else:
        raise TypeError(f"{type(view).__name__} has no data to export")


class ViewExports(QObject):
    """The window's exportable views, their context menus and the current view.

    ``window`` provides ``ask_save_path(title, file_filter, suggested)``, ``show_error(
    title, message)`` and ``statusBar()`` (tests answer the first two).
    """

    def __init__(self, window):
        super().__init__(window)
        self.setObjectName("viewExports")
        self.window = window
        self._views: dict[QDockWidget, object] = {}  # dock -> callable giving its view
        self._last: QDockWidget | None = None  # the view dock the person used last

    # -- registration ---------------------------------------------------------------------
    def register(self, dock: QDockWidget, view) -> None:
        """Make ``dock``'s view exportable; ``view()`` returns the view (built on demand)."""
        self._views[dock] = view
        name = dock.objectName()
        image = QAction(_tr("Export &Image…"), dock)
        image.setObjectName(f"{name}_exportImage")
        image.setToolTip(_tr("Save this view as a PNG or SVG image"))
        image.triggered.connect(lambda _c=False, d=dock: self.export_image(d))
        data = QAction(_tr("Export &Data…"), dock)
        data.setObjectName(f"{name}_exportData")
        data.setToolTip(_tr("Save the numbers this view shows as a CSV file"))
        data.triggered.connect(lambda _c=False, d=dock: self.export_data(d))
        dock.addActions([image, data])
        dock.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        dock.visibilityChanged.connect(lambda shown, d=dock: self._shown(d, shown))
        self.attach_plots(dock)

    def attach_plots(self, dock: QDockWidget) -> None:
        """Put the dock's two actions into the menus of the pyqtgraph plots its view holds
        (call again when the view is built: the window builds views lazily), and offer
        "Export data…" only for a view that has data.  pyqtgraph appends its scene's
        ``contextMenu`` to every plot's own menu."""
        widget = dock.widget()
        if widget is None:
            return
        if not isinstance(widget, QLabel):  # a lazy view's placeholder is a label
            self.actions(dock)[1].setEnabled(has_data(widget))
        for plot in _plot_views(widget):
            plot.scene().contextMenu = list(dock.actions())
            # pyqtgraph opens its menu on the mouse release; the context-menu event that
            # follows must not reach the dock too and open a second menu
            plot.viewport().installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        # a mouse's right click only: the menu key still opens the dock's menu
        if (event.type() == QEvent.Type.ContextMenu
                and event.reason() == QContextMenuEvent.Reason.Mouse):
            event.accept()
            return True
        return super().eventFilter(watched, event)

    def docks(self) -> list[QDockWidget]:
        return list(self._views)

    def view(self, dock: QDockWidget):
        return self._views[dock]()

    def actions(self, dock: QDockWidget) -> tuple[QAction, QAction]:
        """The dock's "Export image…" and "Export data…" actions."""
        image, data = dock.actions()[:2]
        return image, data

    # -- the current view -----------------------------------------------------------------
    def _shown(self, dock: QDockWidget, shown: bool) -> None:
        if shown:
            self._last = dock  # raised (its tab picked) or opened

    def current_dock(self) -> QDockWidget | None:
        """The view in front: the one holding the keyboard focus, else the one raised or
        shown last that is visible, else the first visible one."""
        visible = [d for d in self._views if d.isVisible() and not d.visibleRegion().isEmpty()]
        focus = QApplication.focusWidget()
        for dock in visible:
            if focus is not None and dock.isAncestorOf(focus):
                return dock
        if self._last in visible:
            return self._last
        return visible[0] if visible else None

    # -- exporting ------------------------------------------------------------------------
    def _stem(self, dock: QDockWidget) -> str:
        text = dock.windowTitle().lower()
        return "".join(c if c.isalnum() else "-" for c in text).strip("-") or "view"

    def export_image(self, dock: QDockWidget | None = None) -> str | None:
        """Ask for a .png or .svg file and write the view into it; returns the path."""
        dock = dock or self.current_dock()
        title = _tr("Export image")
        if dock is None:
            self.window.show_error(title, _tr("Open a view (Plots, Confusion matrix, …) "
                                              "first: there is no view to export."))
            return None
        view = self.view(dock)
        path = self.window.ask_save_path(
            _tr("Export {0} as an image").format(dock.windowTitle()),
            _tr("PNG images (*.png);;SVG images (*.svg)"), f"{self._stem(dock)}.png")
        if not path:
            return None
        if not path.lower().endswith(IMAGE_SUFFIXES):
            path += ".png"
        return self._write(title, path, lambda: save_image(view, path))

    def export_data(self, dock: QDockWidget | None = None) -> str | None:
        """Ask for a .csv file and write the view's data into it; returns the path."""
        dock = dock or self.current_dock()
        title = _tr("Export data")
        if dock is None:
            self.window.show_error(title, _tr("Open a view (Plots, Confusion matrix, …) "
                                              "first: there is no view to export."))
            return None
        view = self.view(dock)
        if not has_data(view):
            self.window.show_error(title, _tr("{0} has no data to export.").format(
                dock.windowTitle()))
            return None
        path = self.window.ask_save_path(
            _tr("Export the data of {0}").format(dock.windowTitle()),
            _tr("CSV files (*.csv)"), f"{self._stem(dock)}.csv")
        if not path:
            return None
        if not path.lower().endswith(".csv"):
            path += ".csv"
        return self._write(title, path, lambda: save_data(view, path))

    def _write(self, title: str, path: str, work) -> str | None:
        try:
            work()
        except OSError as exc:
            self.window.show_error(title, _tr("Cannot write {0}: {1}").format(
                path, exc.strerror or exc))
            return None
        self.window.statusBar().showMessage(_tr("Exported to {0}").format(path), 10000)
        return path
