"""Run > Sweep…: the window's X/Y/Z plot. Layout only; gui/sweep_wiring.py drives it.

A non-modal window beside the main one (the form stays editable: the sweep starts from the recipe
in it). On the left, top to bottom, what a person does in order: the base recipe, the axes, the
cell count (or what is wrong, inline), where it runs, Run / Cancel / Export, the progress. On the
right, the labelled grid filling in.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, QSize
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from gui.side_window import SideWindow, section
from gui.sweep_axes import AxesEditor
from gui.sweep_cluster import ClusterSetting
from gui.sweep_grid_view import SweepGridView


class SweepDialog(SideWindow):
    def __init__(self, settings: QSettings, parent: QWidget | None = None):
        super().__init__("sweep", "Sweep — X/Y/Z plot", "Run sweep", parent)

        self.base.setToolTip("Every cell starts from the recipe in the window's form; the axes change the rest")
        self.axes = AxesEditor()
        self.cluster = ClusterSetting(settings)
        self.export_button = QPushButton("Export grid…", objectName="sweepExport")
        self.export_button.setToolTip("Save the labelled grid as a PNG with the sweep and every cell's recipe inside")
        self.gallery_button = QPushButton("Show in Gallery", objectName="sweepGallery")
        self.gallery_button.setToolTip("The Gallery shows only this sweep's cells, in the grid's order")
        self.workers = QLabel(objectName="caption", wordWrap=True)
        self.grid = SweepGridView()

        column = self.column
        column.addWidget(section("Base recipe"))
        column.addWidget(self.base)
        column.addWidget(section("Axes"))
        column.addWidget(self.axes)
        column.addWidget(self.summary)
        column.addWidget(section("Where"))
        column.addWidget(self.cluster)
        self.add_run_controls()
        column.addWidget(self.workers)
        after = QHBoxLayout()
        after.addWidget(self.export_button, 1)
        after.addWidget(self.gallery_button, 1)
        column.addLayout(after)
        column.addWidget(self.note)
        column.addStretch(1)
        self.place(self.grid, QSize(1100, 720))
