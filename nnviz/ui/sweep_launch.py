"""Run → Sweep…: start `nnviz sweep` from the window, on this machine or on Slurm, and watch its runs.

The sweep is the command-line one, started as its own process (QProcess): the window never waits for
it, and closing the window stops it the way Ctrl-C does (finished runs stay; the same sweep resumes).
Its runs are followed live in a watch window, overlaid and named by what differs.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from nnviz.core.presets import PRESETS
from nnviz.sweep.sweep_folder import child_environment
from nnviz.sweep.sweep_presets import SWEEP_PRESETS

from nnviz.ui.watch_window import WatchWindow


@dataclass(slots=True)
class SweepRequest:
    preset: str  # a sweep preset, or a training preset with a grid
    out: Path
    grid: list[str] = field(default_factory=list)  # "lr=0.1,1.0" ...
    epochs: int = 0  # 0: the preset's
    train_size: int = 0  # 0: all
    data: str = ""
    slurm: bool = False
    jobs: int = 0  # 0: the command's default

    def arguments(self, data_dir: str | None = None) -> list[str]:
        """``nnviz sweep`` arguments (after ``python -m nnviz``)."""
        args = ["sweep", "--preset", self.preset, "--out", str(self.out)]
        for grid in self.grid:
            args += ["--grid", grid]
        if self.epochs:
            args += ["--epochs", str(self.epochs)]
        if self.train_size:
            args += ["--train-size", str(self.train_size)]
        if self.data:
            args += ["--data", self.data]
        if self.jobs:
            args += ["--jobs", str(self.jobs)]
        if data_dir:
            args += ["--data-dir", str(data_dir)]
        if self.slurm:
            args += ["--slurm", "--wait"]  # the process follows the array until it ends
        return args


class SweepDialog(QtWidgets.QDialog):
    """What to sweep (a "tweak" preset, or one setting of a preset), how long, where to run it."""

    def __init__(self, runs_folder: Path, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sweep")
        self.runs_folder = runs_folder
        form = QtWidgets.QFormLayout(self)
        self.preset = QtWidgets.QComboBox()
        for name, preset in SWEEP_PRESETS.items():
            self.preset.addItem(f"{name}: {preset.description}", name)
        for name in PRESETS:
            self.preset.addItem(f"{name} (give the grid)", name)
        form.addRow("Preset", self.preset)
        self.grid = QtWidgets.QLineEdit()
        self.grid.setPlaceholderText("e.g. lr=0.1,1.0,3.0 (a sweep preset has its own)")
        form.addRow("Grid", self.grid)
        self.epochs = QtWidgets.QSpinBox()
        self.epochs.setRange(0, 1000)
        self.epochs.setSpecialValueText("the preset's")
        form.addRow("Epochs", self.epochs)
        self.train_size = QtWidgets.QSpinBox()
        self.train_size.setRange(0, 60000)
        self.train_size.setSingleStep(1000)
        self.train_size.setSpecialValueText("all")
        form.addRow("Training examples", self.train_size)
        self.slurm = QtWidgets.QCheckBox("submit to Slurm as a job array (sbatch)")
        self.slurm.setEnabled(shutil.which("sbatch") is not None)
        if not self.slurm.isEnabled():
            self.slurm.setToolTip("sbatch is not on this machine's PATH")
        form.addRow("Where", self.slurm)
        self.out = QtWidgets.QLineEdit()
        form.addRow("Folder", self.out)
        self.problem = QtWidgets.QLabel()  # why OK did not start the sweep (a missing or mistyped grid)
        self.problem.setWordWrap(True)
        self.problem.hide()
        form.addRow(self.problem)
        self.preset.currentIndexChanged.connect(self._suggest_folder)
        self._suggest_folder()
        self.buttons = buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                                            | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def accept(self) -> None:
        """Start only a sweep the command would take: the mistake is said here, in one line, instead of
        a sweep process that fails at once."""
        problem = self._problem()
        self.problem.setText(problem)
        self.problem.setVisible(bool(problem))
        if not problem:
            super().accept()

    def _problem(self) -> str:
        from nnviz.core.errors import NnvizError
        from nnviz.core.presets import preset_config
        from nnviz.sweep.axes import parse_axis

        request = self.request()
        if not str(request.out).strip() or request.out == Path("."):
            return "Give a folder for the sweep."
        sweep = SWEEP_PRESETS.get(request.preset)
        if sweep is None and not request.grid:
            return f"{request.preset} is a training preset: give the setting to sweep, e.g. lr=0.1,1.0,3.0."
        base = sweep.base_config() if sweep is not None else preset_config(request.preset)
        for text in request.grid:
            try:
                parse_axis(text, base)
            except NnvizError as exc:
                return "Grid: " + str(exc).removeprefix("--grid ")
        return ""

    def _suggest_folder(self) -> None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        self.out.setText(str(self.runs_folder / "sweeps" / f"{self.preset.currentData()}-{stamp}"))

    def request(self) -> SweepRequest:
        grid = [part.strip() for part in self.grid.text().split(";") if part.strip()]
        return SweepRequest(self.preset.currentData(), Path(self.out.text()).expanduser(), grid,
                            self.epochs.value(), self.train_size.value(), slurm=self.slurm.isChecked())

    @classmethod
    def ask(cls, runs_folder: Path, parent: QtWidgets.QWidget | None = None) -> SweepRequest | None:
        """The request, or None if cancelled (tests patch this)."""
        dialog = cls(runs_folder, parent)
        return dialog.request() if dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted else None


class SweepLauncher(QtCore.QObject):
    """One running ``nnviz sweep`` process and the watch window following its folder."""

    finished = QtCore.Signal(int, str)  # exit code, the process's last output lines

    def __init__(self, request: SweepRequest, data_dir: str | None = None,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.request = request
        self.output: list[str] = []
        self.process = QtCore.QProcess(self)
        environment = QtCore.QProcessEnvironment()
        for key, value in child_environment(None).items():  # this nnviz first on the child's path
            environment.insert(key, value)
        self.process.setProcessEnvironment(environment)
        self.process.setProcessChannelMode(QtCore.QProcess.ProcessChannelMode.MergedChannels)
        self.process.readyReadStandardOutput.connect(self._read)
        self.process.finished.connect(self._ended)
        self.window = WatchWindow(parent=parent)
        self.window.setWindowFlag(QtCore.Qt.WindowType.Window, True)
        self.window.setWindowTitle(f"nnviz sweep {request.preset} → {request.out}")
        self.window.add_sweep(request.out)
        self.process.start(sys.executable, ["-m", "nnviz", *request.arguments(data_dir)])

    def _read(self) -> None:
        text = bytes(self.process.readAllStandardOutput()).decode(errors="replace")
        for line in text.replace("\r", "\n").splitlines():
            if line.strip():
                self.output.append(line)
                self.window.statusBar().showMessage(line[:200])

    def _ended(self, code: int, _status) -> None:
        self._read()
        self.finished.emit(code, "\n".join(self.output[-5:]))

    @property
    def running(self) -> bool:
        return self.process.state() != QtCore.QProcess.ProcessState.NotRunning

    def stop(self, wait_ms: int = 8000) -> None:
        """Stop the sweep as Ctrl-C would: its runs end interrupted and the same sweep resumes them."""
        if self.running:
            self.process.terminate()  # SIGTERM: the sweep stops its workers, which keep their epochs
            if not self.process.waitForFinished(wait_ms):
                self.process.kill()
                self.process.waitForFinished(2000)


def start_sweep(window, request: SweepRequest | None = None) -> SweepLauncher | None:
    """Run → Sweep…: ask, start the sweep, open its watch window (kept in ``window.sweeps``)."""
    from nnviz.ui.session_runs import default_runs_folder

    request = request or SweepDialog.ask(default_runs_folder(window.settings), window)
    if request is None:
        return None
    launcher = SweepLauncher(request, window.data_dir, parent=window)
    if not hasattr(window, "sweeps"):
        window.sweeps = []
    window.sweeps.append(launcher)

    def ended(code: int, last_lines: str) -> None:
        what = "finished" if code == 0 else f"ended with code {code}"
        window.statusBar().showMessage(f"Sweep {request.preset} {what}: {request.out}", 15000)
        launcher.window.statusBar().showMessage(f"The sweep {what}. " + (last_lines.splitlines() or [""])[-1])

    launcher.finished.connect(ended)
    launcher.window.resize(1400, 900)
    launcher.window.show()
    return launcher


def stop_sweeps(window) -> None:
    """On closing the window: stop the sweeps it started (their finished runs stay)."""
    for launcher in getattr(window, "sweeps", []):
        launcher.stop()
