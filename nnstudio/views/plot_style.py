"""What every pyqtgraph plot in the window shares: axes drawn in the palette's text colour,
and a light grid at the major ticks."""

from __future__ import annotations

import pyqtgraph as pg


def colour_axes(item, foreground, si_prefix: bool = True) -> None:
    """Draw the left and bottom axes of a ``PlotItem`` in ``foreground`` (so that the plot
    reads in a light or dark palette); ``si_prefix=False`` keeps values as they are,
    where pyqtgraph would rescale them into "(x0.001)" labels that mislead on loss and
    gradient axes."""
    pen = pg.mkPen(foreground)
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.setPen(pen)
        axis.setTextPen(pen)
        axis.enableAutoSIPrefix(si_prefix)
    for name in ("top", "right"):
        # hidden, yet told of every range change: with the SI prefix on, each change lays
        # out its (invisible) label's rich text again, a millisecond a time while training
        axis = item.getAxis(name)
        if not axis.isVisible():
            axis.enableAutoSIPrefix(False)


def show_grid(item, x: bool = True, y: bool = True) -> None:
    """A light grid at the major ticks of the ``PlotItem``'s left and bottom axes.

    pyqtgraph draws a grid line for each of three tick levels by default; on a plot the
    width of the window those hundreds of blended lines took 25 ms a paint (a fifth of a
    second per second while training), against 5 ms with the major lines only -- which also
    read better."""
    item.showGrid(x=x, y=y, alpha=0.15)
    for name in ("left", "bottom"):
        item.getAxis(name).setStyle(maxTickLevel=0)
