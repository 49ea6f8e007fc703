"""All labs as the tabs of one widget, each created the first time its tab is shown."""

from __future__ import annotations

from PySide6 import QtWidgets

from nnviz.core.errors import NnvizError

from nnviz.ui.labs.registry import LABS, load_lab


class LabTabs(QtWidgets.QTabWidget):
    """One tab per lab; a lab's widget is built on first show. ``shutdown()`` stops every lab's work."""

    def __init__(self, parent: QtWidgets.QWidget | None = None, data_dir: str | None = None) -> None:
        super().__init__(parent)
        self.data_dir = data_dir
        self.labs: dict[str, QtWidgets.QWidget] = {}  # created so far
        self._names: list[str] = []
        for info in LABS.values():
            placeholder = QtWidgets.QWidget()
            QtWidgets.QVBoxLayout(placeholder)
            self.addTab(placeholder, info.title)
            self.setTabToolTip(self.count() - 1, info.description)
            self._names.append(info.name)
        self.currentChanged.connect(self._create)
        app = QtWidgets.QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self._create(self.currentIndex())

    def lab(self, name: str) -> QtWidgets.QWidget:
        """The lab's widget, created (and its tab selected) if needed."""
        index = self._names.index(name)
        self.setCurrentIndex(index)
        self._create(index)
        return self.labs[name]

    def _create(self, index: int) -> None:
        if index < 0 or self._names[index] in self.labs:
            return
        name = self._names[index]
        placeholder = self.widget(index)
        try:
            widget = load_lab(name).WIDGET(data_dir=self.data_dir)
        except NnvizError as exc:
            label = QtWidgets.QLabel(str(exc))
            label.setWordWrap(True)
            placeholder.layout().addWidget(label)
            self.labs[name] = label
            return
        placeholder.layout().setContentsMargins(0, 0, 0, 0)
        placeholder.layout().addWidget(widget)
        self.labs[name] = widget

    def shutdown(self) -> None:
        for widget in self.labs.values():
            stop = getattr(widget, "shutdown", None)
            if stop is not None:
                stop()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        self.shutdown()
        super().closeEvent(event)


def make_lab_tabs(parent: QtWidgets.QWidget | None = None, data_dir: str | None = None) -> QtWidgets.QTabWidget:
    return LabTabs(parent, data_dir)
