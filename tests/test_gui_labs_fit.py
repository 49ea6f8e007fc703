"""Every lab fits a lecture-hall projector (1024x768) and a full-HD screen: the main window in Labs
mode, each lab opened from the Labs menu, and in each lab's figure every plot title, label and text
item inside its graphics view (and inside its plot when it belongs to one), none over another, and
every plot inside the part of its widget that the window really shows; the painted figures'
texts (convolution) inside their places; the controls column inside its frame. Also in presentation
mode (F5), and F5 pressed while the labs are shown leaves the labs alone.

``NNVIZ_LABS_SHOTS=/some/folder`` also saves a screenshot of every lab (to look at them).
"""

from __future__ import annotations

import os
from pathlib import Path

import pyqtgraph as pg
import pytest
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from test_gui_window import window  # noqa: F401  (the fixture: the main window, closed after the test)

from nnviz.ui.labs import convolution_figures, filter_figure
from nnviz.ui.labs.registry import LABS

SLACK = 1.0  # px: rounding of scene to view coordinates


def texts_of(view: pg.GraphicsView) -> list[tuple[str, QtCore.QRectF, pg.ViewBox | None]]:
    """(text, rect in view pixels, the ViewBox it is drawn in or None) of every visible text."""
    found = []
    for item in view.scene().items():
        if not item.isVisible() or item.opacity() == 0:
            continue
        if isinstance(item, pg.LabelItem):
            text, shown = item.text, item.item
        elif isinstance(item, pg.TextItem):
            text, shown = item.textItem.toPlainText(), item.textItem
        else:
            continue
        if not text or not str(text).strip() or not shown.isVisible():
            continue
        rect = view.mapFromScene(shown.sceneBoundingRect()).boundingRect()
        box = item.getViewBox() if isinstance(item, pg.TextItem) else None
        found.append((shown.toPlainText() if hasattr(shown, "toPlainText") else str(text), QtCore.QRectF(rect), box))
    return found


def shown_rect(view: QtWidgets.QWidget, figure: QtWidgets.QWidget) -> QtCore.QRect:
    """The part of ``view`` (in its own pixels) that the figure shows: inside the figure and not
    under a text or another view beside it."""
    top_left = view.mapTo(figure, QtCore.QPoint(0, 0))
    rect = QtCore.QRect(top_left, view.size()).intersected(figure.rect())
    for other in figure.findChildren(QtWidgets.QWidget):
        if (other is view or not other.isVisible() or view.isAncestorOf(other) or other.isAncestorOf(view)
                or not isinstance(other, (QtWidgets.QLabel, pg.GraphicsView))):
            continue
        theirs = QtCore.QRect(other.mapTo(figure, QtCore.QPoint(0, 0)), other.size())
        if rect.intersects(theirs):
            raise AssertionError(f"{type(view).__name__} at {rect} lies under {type(other).__name__} at {theirs}")
    return rect.translated(-top_left)


def inside(inner: QtCore.QRectF, outer: QtCore.QRectF) -> bool:
    return outer.adjusted(-SLACK, -SLACK, SLACK, SLACK).contains(inner)


class PaintedTexts:
    """What the painted figures (convolution) drew: (widget, the rect given, the rect the text took, text)."""

    def __init__(self, monkeypatch) -> None:
        self.drawn: list[tuple[QtWidgets.QWidget, QtCore.QRectF, QtCore.QRectF, str]] = []
        original = filter_figure.draw_text

        def draw_text(painter, rect, text, pixels, **options):
            taken = original(painter, rect, text, pixels, **options)
            if isinstance(painter.device(), QtWidgets.QWidget) and (text if isinstance(text, str) else text[0]).strip():
                self.drawn.append((painter.device(), QtCore.QRectF(rect), taken, str(text)))  # no raising in a paint
            return taken

        for module in (filter_figure, convolution_figures):
            monkeypatch.setattr(module, "draw_text", draw_text)

    def problems(self, figure: QtWidgets.QWidget) -> list[str]:
        problems, latest = [], {}
        for widget, rect, taken, text in self.drawn:  # the last painting of each text place counts
            if widget.isVisible() and figure.isAncestorOf(widget):
                latest[(id(widget), rect.getCoords())] = (widget, rect, taken, text)
        for widget, rect, taken, text in latest.values():
            if not isinstance(taken, QtCore.QRectF):
                problems.append(f"draw_text did not say where {text!r} went")
            elif not inside(taken, QtCore.QRectF(widget.rect())):
                problems.append(f"{text!r} at {taken.getCoords()} is cut: the figure is {widget.width()}x{widget.height()}")
            elif not inside(taken, rect):
                problems.append(f"{text!r} at {taken.getCoords()} runs out of its place {rect.getCoords()}")
        return problems


def fit_problems(figure: QtWidgets.QWidget) -> list[str]:
    problems = []
    for view in figure.findChildren(pg.GraphicsView):
        if not view.isVisible() or view.width() < 2:
            continue
        try:
            visible = QtCore.QRectF(shown_rect(view, figure).intersected(view.viewport().geometry()))
        except AssertionError as exc:
            problems.append(str(exc))
            continue
        texts = texts_of(view)
        for text, rect, box in texts:
            if not inside(rect, visible):
                problems.append(f"{text!r} at {rect.getCoords()} is cut: the view shows {visible.getCoords()}")
            if box is not None:
                plot_area = QtCore.QRectF(view.mapFromScene(box.sceneBoundingRect()).boundingRect())
                if not inside(rect, plot_area):
                    problems.append(f"{text!r} at {rect.getCoords()} sticks out of its plot {plot_area.getCoords()}")
        for i, (a, ra, _) in enumerate(texts):
            for b, rb, _ in texts[i + 1:]:
                overlap = ra.intersected(rb)
                if overlap.width() > 2 and overlap.height() > 2:
                    problems.append(f"{a!r} and {b!r} overlap")
        for item in view.scene().items():
            if isinstance(item, pg.ViewBox) and item.isVisible() and item.width() > 0:
                rect = QtCore.QRectF(view.mapFromScene(item.sceneBoundingRect()).boundingRect())
                if not inside(rect, visible):
                    problems.append(f"a plot at {rect.getCoords()} is cut: the view shows {visible.getCoords()}")
    return problems


def labs_menu_action(window, title: str):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "Labs")
    return next(a for a in menu.actions() if a.text() == title)


@pytest.fixture(autouse=True)
def presentation_off(window):  # noqa: F811
    """Presentation mode scales the theme for the whole process: off again before the next test."""
    yield
    window.presentation.action.setChecked(False)


@pytest.mark.parametrize("size, presenting", [((1024, 768), False), ((1920, 1080), False), ((1024, 768), True)],
                         ids=["1024x768", "1920x1080", "1024x768-presentation"])
def test_every_lab_fits_the_window(qtbot, window, size, presenting, monkeypatch):  # noqa: F811
    painted = PaintedTexts(monkeypatch)
    if presenting:
        window.presentation.action.trigger()  # F5: larger type from the back row
    window.resize(*size)
    window.lab_mode.labs_action.trigger()
    shots = os.environ.get("NNVIZ_LABS_SHOTS")
    problems = {}
    for info in LABS.values():
        labs_menu_action(window, info.title).trigger()
        lab = window.lab_mode.tabs.labs[info.name]
        qtbot.waitUntil(lambda: lab.isVisible() and lab.figure.width() > 100, timeout=5000)
        pages = getattr(lab, "page_choice", None)  # gradient descent: pitfalls, vanishing gradients...
        for page in range(pages.count() if pages is not None else 1):
            if pages is not None:
                pages.setCurrentIndex(page)
            QTest.qWait(300)  # layouts settle, titles are fitted to their widths
            name = f"{info.name}-{page}" if pages is not None else info.name
            if shots:
                Path(shots).mkdir(parents=True, exist_ok=True)
                window.grab().save(str(Path(shots) / f"lab-{name}-{size[0]}{'-f5' if presenting else ''}.png"))
            painted.drawn.clear()
            lab.figure.repaint()
            found = fit_problems(lab.figure) + painted.problems(lab.figure)
            if window.width() > size[0]:
                found.append(f"the window is {window.width()} px wide: it cannot shrink to {size[0]}")
            column = lab.sidebar.widget()
            if column.width() > lab.sidebar.viewport().width():
                found.append(f"the controls are {column.width()} px wide in a {lab.sidebar.viewport().width()} px column")
            if found:
                problems[name] = found
    assert not problems, "\n".join(f"{name}: {line}" for name, lines in problems.items() for line in lines)


def test_presentation_mode_switched_in_labs_mode_keeps_the_labs_alone_at_1024(qtbot, window):  # noqa: F811
    window.resize(1024, 768)
    window.lab_mode.labs_action.trigger()
    status = window.status
    assert not status.run_label.isVisible() and status.height() < 40  # the run's line is Training mode's
    controls = window.docks["controls"]
    for _ in ("on", "off"):  # F5 on and off again, while the labs are shown
        window.presentation.action.trigger()
        QTest.qWait(200)
        assert not controls.isVisible() and not window.probe_bar.isVisible()  # nothing over the labs
        assert window.width() <= 1024 and not fit_problems(window.lab_mode.tabs.currentWidget())
    window.lab_mode.training_action.trigger()
    qtbot.waitUntil(controls.isVisible, timeout=5000)  # presentation mode is off: the run setup is back
    assert status.run_label.isVisible() and status.progress.isVisible()
    assert window.probe_bar.isVisible()
    window.lab_mode.labs_action.trigger()
    window.presentation.action.trigger()
    window.lab_mode.training_action.trigger()
    QTest.qWait(200)
    assert not controls.isVisible() and not window.probe_bar.isVisible()  # on: training without them
