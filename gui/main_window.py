"""The main window: layout only. Each widget binds to the part of the view-model it shows
(form, status, view, playhead); the wiring lives in app.py.

Places for colleagues: `add_panel()` docks a panel (gallery, history) on the right and lists it
in the View menu; `export_menu` is where export actions go.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QDockWidget, QFrame, QLabel, QMainWindow, QVBoxLayout, QWidget

from gui.controls_panel import ControlsPanel
from gui.error_banner import ErrorBanner
from gui.image_viewer import ViewerPanel
from gui.progress_bar import RunProgress
from gui.run_caption import RunCaption
from gui.run_notices import RunNotices
from gui.timeline import Timeline
from gui.view_model import ViewModel

FULL_WIDTH = 1280  # the size the layout is made for; 1024x700 must still work
MIN_PANEL_WIDTH = 230


class MainWindow(QMainWindow):
    closing = Signal()  # before the window closes: stop the engine, save settings

    def __init__(self, view_model: ViewModel):
        super().__init__()
        self.setObjectName("NoisescopeMainWindow")
        self._panel_widths: list[tuple[QDockWidget, int]] = []
        self._layout_restored = False
        self._first_show = True
        self.setWindowTitle("Noisescope")
        self.vm = view_model
        form, status, view, playhead = view_model.form, view_model.status, view_model.view, view_model.playhead
        self.controls = ControlsPanel(form, status)
        self.viewer = ViewerPanel(view, status, form)
        self.timeline = Timeline(playhead, view, status)
        self.progress = RunProgress(status, form, view)
        self.banner = ErrorBanner(status)
        self.run_caption = RunCaption(view, status)

        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        banner_holder = QVBoxLayout()
        banner_holder.setContentsMargins(8, 8, 8, 0)
        banner_holder.addWidget(self.banner)
        banner_holder.addWidget(self.run_caption)
        column.addLayout(banner_holder)
        column.addWidget(self.viewer, 1)
        bottom = QFrame(objectName="bottomBar")
        bottom_column = QVBoxLayout(bottom)
        bottom_column.setContentsMargins(0, 0, 0, 0)
        bottom_column.setSpacing(0)
        bottom_column.addWidget(self.timeline)
        bottom_column.addWidget(self.progress)
        column.addWidget(bottom)
        self.setCentralWidget(central)

        self.controls_dock = self._dock("Recipe", self.controls, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.model_status = QLabel()
        self.notices = RunNotices(view, status)  # e.g. previews thinned past the memory budget
        self.statusBar().addWidget(self.notices, 1)
        self.statusBar().addPermanentWidget(self.model_status)
        status.modelStatusChanged.connect(self.model_status.setText)
        self.model_status.setText(status.model_status)

        self._build_menus()
        self._shortcut(("Ctrl+Return", "Ctrl+Enter"), self.controls.generateRequested.emit)
        self._shortcut(("Escape",), self.controls.cancelRequested.emit)
        self._shortcut(("Space",), self.timeline.toggle_play)
        self._shortcut(("Left",), lambda: self.timeline.step_by(-1))
        self._shortcut(("Right",), lambda: self.timeline.step_by(1))
        self.resize(1280, 800)

    def add_panel(self, title: str, widget: QWidget,
                  area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea,
                  width: int | None = None) -> QDockWidget:
        """Dock a panel (e.g. gallery, history); it gets a View menu entry and a saved place.
        `width`: its width in a full-size window; a smaller window gives it less (see showEvent)."""
        dock = self._dock(title, widget, area)
        if width is not None:
            self._panel_widths.append((dock, width))
            self.resizeDocks([dock], [width], Qt.Orientation.Horizontal)
        return dock

    def restoreState(self, state, version: int = 0) -> bool:  # noqa: N802
        self._layout_restored = super().restoreState(state, version)  # a saved layout wins over ours
        return self._layout_restored

    def showEvent(self, event) -> None:  # noqa: N802
        """First shown: a window narrower than FULL_WIDTH (a small screen) gives its side panels
        less room, so the viewer keeps enough to show its images larger than 1x."""
        super().showEvent(event)
        if self._first_show:
            self._first_show = False
            if not self._layout_restored and self.width() < FULL_WIDTH:
                docks = [dock for dock, _ in self._panel_widths]
                widths = [max(MIN_PANEL_WIDTH, width * self.width() // FULL_WIDTH) for _, width in self._panel_widths]
                self.resizeDocks(docks, widths, Qt.Orientation.Horizontal)

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{title.lower().replace(' ', '-')}")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        if hasattr(self, "view_menu"):
            self.view_menu.addAction(dock.toggleViewAction())
        return dock

    def _build_menus(self) -> None:
        menus = self.menuBar()
        self.file_menu = menus.addMenu("&File")
        self.export_menu = self.file_menu.addMenu("&Export")  # export actions go here
        self.export_menu.setObjectName("exportMenu")
        from gui.models_folders_dialog import add_models_folders_action

        add_models_folders_action(self, self.file_menu, self.vm)
        self.file_menu.addSeparator()
        quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        self.file_menu.addAction(quit_action)
        self.run_menu = run_menu = menus.addMenu("&Run")  # run actions go here (e.g. Branch from this step)
        for text, keys, slot in (("&Generate", "Ctrl+Return", self.controls.generateRequested.emit),
                                 ("&Cancel", "Esc", self.controls.cancelRequested.emit)):
            action = QAction(text, self)
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # shown; the window shortcut acts
            action.triggered.connect(slot)
            run_menu.addAction(action)
        self.view_menu = menus.addMenu("&View")
        self.view_menu.addAction(self.controls_dock.toggleViewAction())
        help_menu = menus.addMenu("&Help")
        self.about_action = QAction("&About Noisescope", self)
        self.about_action.triggered.connect(self.show_about)
        help_menu.addAction(self.about_action)

    def show_about(self) -> None:
        from gui.about_dialog import AboutDialog

        self.about = AboutDialog(self)
        self.about.open()  # non-blocking: the run going on goes on

    def _shortcut(self, keys: tuple[str, ...], slot) -> None:
        for key in keys:
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(slot)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.closing.emit()
        super().closeEvent(event)
