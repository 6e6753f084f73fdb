"""The application's icons: line drawings in ``resources/icons`` tinted to the palette.

Each ``<name>.svg`` is drawn in black (``#000``) as a placeholder. :func:`icon` swaps that
placeholder for the palette's text colours when it builds the icon, so the icons are dark
on a light palette and light on a dark one, and a disabled action gets the palette's
disabled text colour instead of a blurred copy. The icons are vectors all the way down:
every size and device pixel ratio is rendered fresh from the SVG, so they stay sharp on
high-DPI screens.

Icons are cached per name and colours. An icon keeps the colours it was built with; after
the palette changes (``QEvent.Type.ApplicationPaletteChange``), ask :func:`icon` again.
"""

from __future__ import annotations

import re
from importlib.resources.abc import Traversable

from PySide6.QtCore import QByteArray, QPoint, QRect, QRectF, QSize, Qt
from PySide6.QtGui import (QColor, QGuiApplication, QIcon, QIconEngine, QImage, QPainter,
                           QPalette, QPixmap)
from PySide6.QtSvg import QSvgRenderer
import shiboken6

from engine.resources import resource_dir

APP_ICON = "nnstudio"

# "#000" and "#000000" used as colour values, not the start of a longer hex number.
_PLACEHOLDER = re.compile(rb"#000(?:000)?(?![0-9A-Fa-f])")

_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")  # file names only: no paths out of the folder

_Mode = QIcon.Mode
_State = QIcon.State


def _icons_dir() -> Traversable:
    """``resources/icons`` (an installed wheel carries it as ``nnstudio/resources/icons``)."""
    return resource_dir("icons", package="nnstudio")


_svg_cache: dict[str, bytes] = {}
_icon_cache: dict[tuple, QIcon] = {}


def icon_names() -> list[str]:
    """The names :func:`icon` knows, sorted (the application icon is not one of them)."""
    names = (entry.name[:-4] for entry in _icons_dir().iterdir() if entry.name.endswith(".svg"))
    return sorted(n for n in names if n != APP_ICON)


def _svg(name: str) -> bytes:
    data = _svg_cache.get(name)
    if data is None:
        entry = _icons_dir().joinpath(f"{name}.svg")
        if not _NAME.fullmatch(name) or not entry.is_file():
            valid = icon_names() if name != APP_ICON else []
            raise KeyError(f"no icon named {name!r}; valid names: {', '.join(valid)}")
        data = _svg_cache[name] = entry.read_bytes()
    return data


def _recolour(svg: bytes, colour: QColor) -> bytes:
    # The placeholder's alpha lives in an opacity, since SVG colours have no alpha channel.
    data = _PLACEHOLDER.sub(colour.name(QColor.NameFormat.HexRgb).encode(), svg)
    if colour.alpha() < 255:
        data = data.replace(b"<svg ", f'<svg opacity="{colour.alphaF():.3f}" '.encode(), 1)
    return data


def _fit(rect: QRectF, aspect: QSize) -> QRectF:
    """The largest rectangle of the SVG's aspect ratio centred in ``rect``."""
    if aspect.isEmpty():
        return rect
    size = QSize(aspect).scaled(rect.size().toSize(), Qt.AspectRatioMode.KeepAspectRatio)
    out = QRectF(0, 0, size.width(), size.height())
    out.moveCenter(rect.center())
    return out


class SvgIconEngine(QIconEngine):
    """Renders one SVG, in a colour per icon mode, at whatever size and pixel ratio is asked."""

    def __init__(self, svg: bytes, colours: dict | None = None):
        super().__init__()
        self._svg = svg
        # mode -> colour; None renders the SVG's own colours (the application icon).
        self._colours = dict(colours or {})
        self._renderers: dict = {}

    def _renderer(self, mode) -> QSvgRenderer:
        colour = self._colours.get(mode, self._colours.get(_Mode.Normal))
        key = None if colour is None else colour.rgba()
        renderer = self._renderers.get(key)
        if renderer is None:
            data = self._svg if colour is None else _recolour(self._svg, colour)
            renderer = QSvgRenderer(QByteArray(data))
            if not renderer.isValid():
                raise ValueError("icon SVG does not parse")
            self._renderers[key] = renderer
        return renderer

    # -- QIconEngine ------------------------------------------------------------------------
    def paint(self, painter: QPainter, rect: QRect, mode, state) -> None:
        renderer = self._renderer(mode)
        renderer.render(painter, _fit(QRectF(rect), renderer.defaultSize()))

    def scaledPixmap(self, size: QSize, mode, state, scale: float) -> QPixmap:
        scale = max(float(scale), 1e-3)
        device = QSize(max(1, round(size.width() * scale)), max(1, round(size.height() * scale)))
        image = QImage(device, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHints(QPainter.RenderHint.Antialiasing
                               | QPainter.RenderHint.SmoothPixmapTransform)
        renderer = self._renderer(mode)
        renderer.render(painter, _fit(QRectF(QPoint(0, 0), device), renderer.defaultSize()))
        painter.end()
        pixmap = QPixmap.fromImage(image)
        pixmap.setDevicePixelRatio(scale)
        return pixmap

    def pixmap(self, size: QSize, mode, state) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def actualSize(self, size: QSize, mode, state) -> QSize:
        return QSize(size)  # scalable: any size is exact

    def availableSizes(self, mode=_Mode.Normal, state=_State.Off) -> list[QSize]:
        return [QSize(s, s) for s in (16, 22, 24, 32, 48, 64, 128)]

    def isNull(self) -> bool:
        return False

    def key(self) -> str:
        return "nnstudio-svg"

    def clone(self) -> "SvgIconEngine":
        # Qt takes the clone (a QIcon detaching on addPixmap), but PySide leaves it owned by
        # Python, which would collect it under Qt's feet. Hold it until Qt deletes it.
        twin = SvgIconEngine(self._svg, self._colours)
        _clones[:] = [e for e in _clones if shiboken6.isValid(e)] + [twin]
        return twin


_clones: list[SvgIconEngine] = []


def _palette_colours(colour: QColor | None) -> dict:
    palette = QGuiApplication.palette()
    if colour is not None:
        disabled = QColor(colour)
        disabled.setAlphaF(colour.alphaF() * 0.4)
        return {_Mode.Normal: QColor(colour), _Mode.Active: QColor(colour),
                _Mode.Selected: QColor(colour), _Mode.Disabled: disabled}
    text = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.WindowText)
    return {
        _Mode.Normal: text,
        _Mode.Active: text,
        _Mode.Selected: palette.color(QPalette.ColorGroup.Active,
                                      QPalette.ColorRole.HighlightedText),
        _Mode.Disabled: palette.color(QPalette.ColorGroup.Disabled,
                                      QPalette.ColorRole.WindowText),
    }


def icon(name: str, colour: QColor | str | None = None) -> QIcon:
    """The icon ``resources/icons/<name>.svg`` in the current palette's text colour.

    Parameters
    ----------
    name : str
        One of :func:`icon_names`.
    colour : QColor or str, optional
        Draw in this colour instead of the palette's (disabled mode gets it at 40 % opacity).

    Raises
    ------
    KeyError
        For an unknown name; the message lists the valid ones.
    """
    if name == APP_ICON:
        raise KeyError(f"{APP_ICON!r} is the application icon: use app_icon()")
    svg = _svg(name)
    colours = _palette_colours(None if colour is None else QColor(colour))
    key = (name, *(colours[m].rgba() for m in (_Mode.Normal, _Mode.Selected, _Mode.Disabled)))
    cached = _icon_cache.get(key)
    if cached is None:
        cached = _icon_cache[key] = QIcon(SvgIconEngine(svg, colours))
    return QIcon(cached)  # a copy shares the engine but cannot alter the cached one


def app_icon() -> QIcon:
    """The application icon, in its own colours."""
    cached = _icon_cache.get((APP_ICON,))
    if cached is None:
        cached = _icon_cache[(APP_ICON,)] = QIcon(SvgIconEngine(_svg(APP_ICON)))
    return QIcon(cached)
