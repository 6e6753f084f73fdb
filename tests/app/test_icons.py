"""Icons: every SVG renders, follows the palette's colours, stays sharp at any pixel ratio."""

from __future__ import annotations

import pathlib
import xml.etree.ElementTree as ET

import pytest
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPalette
from PySide6.QtWidgets import QApplication

from nnstudio import icons

ROOT = pathlib.Path(__file__).resolve().parents[2]
ICONS = ROOT / "resources" / "icons"

# The actions, layer glyphs and panels the application asks for by name.
REQUIRED = """
new open open-recent example save save-as revert export quit undo redo cut copy paste delete
select-all zoom-in zoom-out zoom-fit arrange reset-layout train pause stop step reset-weights
glossary shortcuts about layer-input layer-dense layer-dropout layer-batch-norm
layer-activation layer-add layer-concatenate panel-layers panel-inspector panel-data
panel-training panel-plots
""".split()
APP_PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
SVG_NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def app(qapp):
    """The application, with its palette put back however the test ends."""
    saved = QPalette(qapp.palette())
    yield qapp
    qapp.setPalette(saved)


def _ink(image: QImage) -> list[QColor]:
    """The colours of the pixels that are mostly opaque."""
    image = image.convertToFormat(QImage.Format.Format_ARGB32)
    return [c for y in range(image.height()) for x in range(image.width())
            if (c := image.pixelColor(x, y)).alpha() > 200]


def _lightness(colours: list[QColor]) -> float:
    return sum(c.lightnessF() for c in colours) / len(colours)


def _dark_palette() -> QPalette:
    palette = QPalette(QColor("#2b2b2b"))  # derives the other roles from a dark window
    palette.setColor(QPalette.ColorRole.WindowText, QColor("#ececec"))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText,
                     QColor("#6e6e6e"))
    return palette


def test_every_required_icon_exists_and_nothing_else():
    assert sorted(REQUIRED) == icons.icon_names()


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_svg_follows_the_house_style(name):
    root = ET.parse(ICONS / f"{name}.svg").getroot()
    assert root.get("viewBox") == "0 0 24 24"
    # Drawn in the #000 placeholder only, so the loader can recolour all of it.
    for element in root.iter():
        for attribute in ("stroke", "fill", "color", "stop-color"):
            assert element.get(attribute) in (None, "none", "#000"), (element.tag, attribute)
        assert "style" not in element.attrib


@pytest.mark.parametrize("size", [16, 32, 64])
@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_icon_renders_something_at_each_size(app, name, size):
    pixmap = icons.icon(name).pixmap(QSize(size, size), 1.0)
    assert not pixmap.isNull()
    assert (pixmap.width(), pixmap.height()) == (size, size)
    image = pixmap.toImage()
    area = size * size
    ink = sum(1 for y in range(size) for x in range(size) if image.pixelColor(x, y).alpha() > 0)
    assert 0.03 * area < ink < 0.8 * area, f"{name} at {size}px covers {ink}/{area} pixels"


def test_high_dpi_pixmaps_are_rendered_at_device_resolution(app):
    plain = icons.icon("save").pixmap(QSize(24, 24), 1.0)
    sharp = icons.icon("save").pixmap(QSize(24, 24), 2.0)
    assert sharp.devicePixelRatio() == 2.0
    assert (sharp.width(), sharp.height()) == (48, 48)
    assert sharp.deviceIndependentSize().toSize() == QSize(24, 24)
    # Rendered afresh, not an upscaled 24 px copy: the 2x picture has detail the 1x lacks.
    upscaled = plain.toImage().scaled(48, 48, Qt.AspectRatioMode.IgnoreAspectRatio,
                                      Qt.TransformationMode.SmoothTransformation)
    assert sharp.toImage().convertToFormat(upscaled.format()) != upscaled


def test_paint_draws_into_a_rectangle(app):
    image = QImage(40, 40, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    icons.icon("train").paint(painter, QRect(4, 4, 32, 32))
    painter.end()
    assert _ink(image)


def test_icons_take_the_palette_text_colour(app):
    light = QPalette(QColor("#f4f4f4"))
    light.setColor(QPalette.ColorRole.WindowText, QColor("#101010"))
    app.setPalette(light)
    assert _lightness(_ink(icons.icon("save").pixmap(QSize(32, 32), 1.0).toImage())) < 0.25

    app.setPalette(_dark_palette())
    ink = _ink(icons.icon("save").pixmap(QSize(32, 32), 1.0).toImage())
    assert _lightness(ink) > 0.8, "dark palette should give light icons"
    assert all(abs(c.red() - 0xec) <= 2 for c in ink)


def test_disabled_mode_uses_the_disabled_text_colour(app):
    app.setPalette(_dark_palette())
    ink = _ink(icons.icon("stop").pixmap(QSize(32, 32), QIcon.Mode.Disabled).toImage())
    assert ink and all(abs(c.red() - 0x6e) <= 2 for c in ink)


def test_explicit_colour(app):
    ink = _ink(icons.icon("stop", "#d03030").pixmap(QSize(32, 32), 1.0).toImage())
    assert ink and all((c.red(), c.green(), c.blue()) == (0xd0, 0x30, 0x30) for c in ink)


def test_icons_are_cached_per_name_and_colour(app):
    assert icons.icon("undo").cacheKey() == icons.icon("undo").cacheKey()
    assert icons.icon("undo").cacheKey() != icons.icon("redo").cacheKey()
    before = icons.icon("undo").cacheKey()
    app.setPalette(_dark_palette())
    assert icons.icon("undo").cacheKey() != before


def test_returned_icons_cannot_change_the_cache(app):
    first = icons.icon("cut")
    first.addPixmap(first.pixmap(8, 8))
    assert icons.icon("cut").cacheKey() != first.cacheKey()


def test_unknown_name_raises_key_error_listing_valid_names():
    with pytest.raises(KeyError) as caught:
        icons.icon("no-such-icon")
    message = str(caught.value)
    assert "no-such-icon" in message and "save-as" in message and "layer-dense" in message
    with pytest.raises(KeyError):
        icons.icon("../icons/save")


def test_app_icon_renders_in_its_own_colours(app):
    app.setPalette(_dark_palette())
    image = icons.app_icon().pixmap(QSize(64, 64), 1.0).toImage()
    ink = _ink(image)
    assert len(ink) > 0.6 * 64 * 64
    assert any(c.blue() > c.red() + 60 for c in ink), "blue background"
    assert any(c.red() > c.blue() + 100 for c in ink), "orange nodes"
    with pytest.raises(KeyError):
        icons.icon(icons.APP_ICON)


@pytest.mark.parametrize("size", APP_PNG_SIZES)
def test_app_icon_pngs_exist_in_every_size(qapp, size):
    path = ICONS / "png" / f"nnstudio-{size}.png"
    image = QImage(str(path))
    assert not image.isNull(), f"missing or unreadable {path}"
    assert (image.width(), image.height()) == (size, size)
    assert image.hasAlphaChannel()
