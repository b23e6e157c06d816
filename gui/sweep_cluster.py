"""Where a sweep's cells run: this computer (the engine worker), a local Ray with N workers, or a
Ray cluster at an address (`auto`, `ray://host:port`). Saved in the window's settings.

Ray is an optional extra: without it the Ray choices are greyed out and the setting says how to
install it. Whether it is installed is asked of the import system (find_spec), never by importing
Ray on the GUI thread (seconds).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QLineEdit, QSpinBox, QWidget

from engine.cluster.ray_import import INSTALL_HINT
from engine.threads import usable_cores

HERE, LOCAL_RAY, CLUSTER = "here", "local-ray", "cluster"
CHOICES = ((HERE, "This computer"), (LOCAL_RAY, "Local Ray"), (CLUSTER, "Ray cluster"))
KEYS = {"kind": "sweep/cluster", "workers": "sweep/ray-workers", "address": "sweep/ray-address"}


@dataclass(frozen=True)
class ClusterChoice:
    kind: str = HERE
    workers: int = 2  # a local Ray's workers
    address: str = "auto"  # a cluster's

    @property
    def on_ray(self) -> bool:
        return self.kind != HERE

    def pool_arguments(self) -> tuple[str | None, int | None]:
        """RayPool's (address, workers): a local Ray is started with N workers; a cluster says its own."""
        return (None, self.workers) if self.kind == LOCAL_RAY else (self.address.strip(), None)

    def describe(self) -> str:
        if self.kind == LOCAL_RAY:
            return f"a local Ray with {self.workers} worker{'s' if self.workers != 1 else ''}"
        return f"the Ray cluster at {self.address.strip()}" if self.kind == CLUSTER else "this computer"


def ray_installed() -> bool:
    return importlib.util.find_spec("ray") is not None


def load_choice(settings: QSettings) -> ClusterChoice:
    kind = str(settings.value(KEYS["kind"], HERE))
    try:
        workers = max(1, int(settings.value(KEYS["workers"], 2)))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        workers = 2
    address = str(settings.value(KEYS["address"], "auto") or "auto")
    return ClusterChoice(kind if kind in dict(CHOICES) else HERE, workers, address)


def save_choice(settings: QSettings, choice: ClusterChoice) -> None:
    for name, key in KEYS.items():
        settings.setValue(key, getattr(choice, name))


class ClusterSetting(QWidget):
    """"Run on": the combo, the workers (local Ray) or the address (cluster), and a line saying what it means."""

    changed = Signal()

    def __init__(self, settings: QSettings, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings, self.has_ray = settings, ray_installed()
        choice = load_choice(settings) if self.has_ray else ClusterChoice()
        self.kind = QComboBox(objectName="sweepCluster")
        for kind, text in CHOICES:
            self.kind.addItem(text, kind)
        self.workers = QSpinBox(minimum=1, maximum=256, value=choice.workers, suffix=" workers")
        self.workers.setToolTip("Ray workers started on this computer, each with its own copy of the model")
        self.address = QLineEdit(choice.address, placeholderText="auto or ray://host:10001")
        self.address.setToolTip("auto: the cluster this computer belongs to (ray start); or ray://host:port")
        self.hint = QLabel(wordWrap=True, objectName="caption")
        self.hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(QLabel("Run on"), 0, 0)
        grid.addWidget(self.kind, 0, 1)
        grid.addWidget(self.workers, 1, 1)
        grid.addWidget(self.address, 2, 1)
        grid.addWidget(self.hint, 3, 0, 1, 2)
        grid.setColumnStretch(1, 1)
        if not self.has_ray:
            model = self.kind.model()
            assert isinstance(model, QStandardItemModel)
            for row in (1, 2):
                item = model.item(row)
                if item is not None:
                    item.setEnabled(False)
        self.kind.setCurrentIndex(max(0, self.kind.findData(choice.kind)))
        for signal in (self.kind.currentIndexChanged, self.workers.valueChanged, self.address.textChanged):
            signal.connect(self._changed)
        self._show()

    def choice(self) -> ClusterChoice:
        return ClusterChoice(str(self.kind.currentData()), self.workers.value(), self.address.text().strip())

    def problem(self) -> str | None:
        """What stops a sweep on this setting, in words; None when it can run."""
        choice = self.choice()
        if choice.on_ray and not self.has_ray:
            return f"Ray is not installed: {INSTALL_HINT}"
        if choice.kind == CLUSTER and not choice.address:
            return "type the cluster's address: auto, or ray://host:port"
        return None

    def _changed(self) -> None:
        if self.has_ray:
            save_choice(self.settings, self.choice())
        self._show()
        self.changed.emit()

    def _show(self) -> None:
        kind = self.kind.currentData()
        self.workers.setVisible(kind == LOCAL_RAY)
        self.address.setVisible(kind == CLUSTER)
        if not self.has_ray:
            self.hint.setText(f"To run sweeps on Ray (this computer's cores, or a cluster's GPUs), install it: "
                              f"{INSTALL_HINT}")
        elif kind == LOCAL_RAY:
            self.hint.setText(f"Starts Ray here (a few seconds); this computer has {usable_cores()} cores.")
        elif kind == CLUSTER:
            self.hint.setText("Joins a running cluster; one worker per GPU it has.")
        else:
            self.hint.setText("Cells run on the window's engine, one after another.")
