"""A small plot of an activation function and its derivative over -5..5.

The values come from the engine's own ``forward`` and ``derivative`` (what training uses),
never from a second copy of the formulas.  The two curves are created once and updated with
``setData`` when the activation changes.
"""

from __future__ import annotations

import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from PySide6.QtCore import Qt  # noqa: E402 - PySide6 before pyqtgraph picks a binding
from PySide6.QtGui import QColor, QPalette  # noqa: E402
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget  # noqa: E402

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from nnstudio.views.plot_style import colour_axes, show_grid

from engine import activations  # noqa: E402
from nnstudio import glossary  # noqa: E402

__all__ = ["ActivationPlot", "activation_curves", "Z_RANGE"]

Z_RANGE = (-5.0, 5.0)
N_POINTS = 201
FORWARD_COLOR = QColor(31, 119, 180)  # blue, as the training curve
DERIVATIVE_COLOR = QColor(255, 127, 14)  # orange


def activation_curves(spec, z: np.ndarray | None = None):
    """``(z, f(z), f'(z))`` of an activation, by the engine's ``forward`` / ``derivative``.

    Parameters
    ----------
    spec : str or dict or Activation
        A registry name, alias or config (``{"name": "leaky_relu", "negative_slope": 0.2}``).
    z : ndarray (n,), optional
        Where to evaluate; default ``N_POINTS`` points over ``Z_RANGE``.

    Returns
    -------
    z, a, da : ndarray (n,), float64
        For an elementwise activation each point is its own sample (shape (n, 1)).  Softmax
        couples the units of a row, so each point is a row ``[z, 0]`` and the curves are its
        first unit: ``softmax([z, 0])[0]`` and the Jacobian's diagonal entry there.
    """
    act = activations.get(spec)
    z = np.linspace(*Z_RANGE, N_POINTS) if z is None else np.asarray(z, dtype=np.float64)
    if act.elementwise:
        rows = z.reshape(-1, 1)
    else:
        rows = np.column_stack([z, np.zeros_like(z)])
    a = np.asarray(act.forward(rows.copy()), dtype=np.float64)[:, 0]
    da = np.asarray(act.derivative(rows.copy()), dtype=np.float64)[:, 0]
    return z, a, da


class ActivationPlot(QWidget):
    """The chosen activation ``f`` and its derivative ``f'`` over -5..5, with a one-line
    explanation beneath.

    Public attributes: ``plot`` (``pg.PlotWidget``), ``forward_curve`` and
    ``derivative_curve`` (``pg.PlotDataItem``, created once), ``caption`` (``QLabel``),
    ``activation`` (the config shown, or None).
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("activationPlot")
        self.setAccessibleName(self.tr("Activation function and its derivative"))
        self.activation = None
        background = self.palette().color(QPalette.ColorRole.Base)
        foreground = self.palette().color(QPalette.ColorRole.Text)

        self.plot = pg.PlotWidget(self, background=background)
        self.plot.setObjectName("activationPlotWidget")
        self.plot.setAccessibleName(self.tr("Activation plot"))
        self.plot.setMinimumHeight(150)
        self.plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        item = self.plot.getPlotItem()
        show_grid(item)
        item.setMenuEnabled(False)
        item.hideButtons()
        item.getViewBox().setMouseEnabled(x=False, y=False)
        colour_axes(item, foreground, si_prefix=False)
        item.getAxis("left").setWidth(34)
        item.setXRange(*Z_RANGE, padding=0.02)
        axis_pen = pg.mkPen(QColor(128, 128, 128, 120), width=1)
        for angle in (0, 90):
            item.addItem(pg.InfiniteLine(pos=0, angle=angle, movable=False, pen=axis_pen),
                         ignoreBounds=True)
        legend = item.addLegend(offset=(6, 4), labelTextColor=foreground,
                                labelTextSize="8pt", verSpacing=-6)
        legend.setBrush(pg.mkBrush(QColor(background.red(), background.green(),
                                          background.blue(), 200)))
        self.forward_curve = item.plot(name="f(z)", pen=pg.mkPen(FORWARD_COLOR, width=2))
        self.derivative_curve = item.plot(
            name="f\u2032(z)", pen=pg.mkPen(DERIVATIVE_COLOR, width=2,
                                            style=Qt.PenStyle.DashLine))

        self.caption = QLabel(self)
        self.caption.setObjectName("activationPlotCaption")
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(Qt.TextFormat.PlainText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.plot)
        layout.addWidget(self.caption)

    def set_activation(self, spec) -> None:
        """Show the activation ``spec`` (a registry name, alias or config)."""
        act = activations.get(spec)
        config = activations.ACTIVATIONS.to_config(act)
        if config == self.activation:
            return
        self.activation = config
        z, a, da = activation_curves(act)
        self.forward_curve.setData(z, a)
        self.derivative_curve.setData(z, da)
        finite = np.concatenate([a[np.isfinite(a)], da[np.isfinite(da)]])
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (-1, 1)
        low, high = min(low, 0.0), max(high, 1.0)
        self.plot.getPlotItem().setYRange(low, high, padding=0.08)
        text = glossary.activation(act.name)
        caption = f"{act.name}: {glossary.summary(text)}" if text else act.name
        if not act.elementwise:
            caption += " " + self.tr("(Drawn: one unit's output, the other score at 0.)")
        self.caption.setText(caption)
        self.setToolTip(glossary.tooltip((act.name, text)))
