"""The Plots panel: reading the run on screen (engine/run_analysis.py) beside the viewer.

Three plots (pyqtgraph): the noise schedule (sigma, log scale, and the signal level on the
right axis), convergence (x0's distance to the final image and its change per step), and the
"settled at step" map with its colour bar. A line marks the playhead's step; a click on a plot
moves the playhead there (a click on a pixel of the map: to the step it settled at).

Cost on the GUI thread, and only while the panel is shown (pyqtgraph is imported when it first
is): during a run the schedule and the change curve grow by one difference per new step, redrawn
at most REFRESH_MS apart. The distance to the final image and the settled map need every step
against the final image: they are computed when the run has ended (or an opened run is shown),
a few steps per timer tick, each tick about SLICE_S long (one step at least).
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QLabel, QVBoxLayout, QWidget

from engine.compare.colormap import TABLE
from engine.export.grid import PADDING, grid_columns, make_grid
from engine.kinds import Outcome
from engine.run_analysis import (
    DEFAULT_TOLERANCE,
    FINAL,
    ONE_PASS_MESSAGE,
    ChangeTracker,
    FinalComparison,
    SettledMap,
    is_one_pass,
    schedule,
)
from gui.run_state import RunStatus
from gui.trajectory_view import Playhead, TrajectoryView

REFRESH_MS = 200  # live curves: at most five redraws a second (~2 ms of pyqtgraph setData each)
SLICE_S = 0.008  # the final comparison's share of one timer tick
MIN_SIGMA = 1e-3  # the log axis's floor: some schedules end at sigma 0
CONVERGENCE = "x0 converging (mean |Δ|)"
TITLE_SIZE = "9pt"  # the dock may be 250 px wide: titles must not widen the plots past it
SETTLED = "Settled at step"
LEGEND_BRUSH = (24, 24, 28, 210)  # the curves stay readable under the legend
NO_RUN = "Plots of the run on screen appear here: its noise schedule, how it converges and where it settled."


def _pyqtgraph():
    """pyqtgraph, imported the first time the panel is shown: it adds ~0.3 s (more on a busy
    machine) to the import of Qt, which the window's first paint should not wait for."""
    import pyqtgraph

    pyqtgraph.setConfigOptions(antialias=True, imageAxisOrder="row-major")
    return pyqtgraph


class RunPlots(QWidget):
    def __init__(self, view: TrajectoryView, playhead: Playhead, status: RunStatus,
                 tolerance: int = DEFAULT_TOLERANCE, parent: QWidget | None = None):
        super().__init__(parent)
        self.view, self.playhead, self.status, self.tolerance = view, playhead, status, tolerance
        self.changes = ChangeTracker()
        self.comparison: FinalComparison | None = None
        self.settled: SettledMap | None = None
        self.message = QLabel(NO_RUN, wordWrap=True, objectName="plotsMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.graphics = None  # the plots: made when first shown
        self._x_total = 0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.message)

        self._refresh_timer = QTimer(self, singleShot=True, interval=REFRESH_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        self._slice_timer = QTimer(self, singleShot=True, interval=0)
        self._slice_timer.timeout.connect(self._compare_slice)
        view.trajectoryReset.connect(self._reset)  # bound methods: let go when the panel is deleted
        view.stepsChanged.connect(self._schedule_refresh)
        status.stateChanged.connect(self._schedule_refresh)
        playhead.stepChanged.connect(self._mark_step)
        self._reset()

    # -- building -------------------------------------------------------------------------------

    def _build_plots(self) -> None:
        pg = _pyqtgraph()
        self.graphics = g = pg.GraphicsLayoutWidget()
        g.setMinimumSize(200, 300)
        self.layout().addWidget(g, 1)
        self.colours = pg.ColorMap(np.linspace(0.0, 1.0, len(TABLE)), TABLE)
        self.schedule_plot = g.addPlot(row=0, col=0)
        self.schedule_plot.setLogMode(y=True)
        self.schedule_plot.setLabel("left", "σ (log)")
        legend = self.schedule_plot.addLegend(offset=(-4, 4), brush=LEGEND_BRUSH)
        self.sigma_curve = self.schedule_plot.plot(pen=pg.mkPen("#e0a030", width=2), name="σ")
        self.signal_box = pg.ViewBox()  # the signal level, 0..1, on the right axis
        self.schedule_plot.showAxis("right")
        self.schedule_plot.getAxis("right").setLabel("signal")
        self.schedule_plot.scene().addItem(self.signal_box)
        self.schedule_plot.getAxis("right").linkToView(self.signal_box)
        self.schedule_plot.getAxis("right").setLogMode(False, False)  # the plot's log mode is σ's only
        self.signal_box.setXLink(self.schedule_plot)
        self.signal_box.setYRange(0, 1, padding=0.02)
        self.signal_box.setMouseEnabled(False, False)
        self.signal_curve = pg.PlotDataItem(pen=pg.mkPen("#60b0f0", width=2))
        self.signal_box.addItem(self.signal_curve)
        legend.addItem(self.signal_curve, "signal")
        self.schedule_plot.getAxis("right").setToolTip("The signal level 1/√(1+σ²): the clean image's share of x_t")
        self.schedule_plot.vb.sigResized.connect(self._align_signal_box)

        self.convergence_plot = g.addPlot(row=1, col=0)
        self.convergence_plot.addLegend(offset=(-4, 4), brush=LEGEND_BRUSH)
        self.to_final_curve = self.convergence_plot.plot(pen=pg.mkPen("#f06060", width=2), name="to final image")
        self.change_curve = self.convergence_plot.plot(pen=pg.mkPen("#80d080", width=2), name="change per step")
        self.convergence_plot.setLabel("bottom", "step")

        self.map_plot = g.addPlot(row=2, col=0)
        self.map_plot.setAspectLocked(True)
        self.map_plot.invertY(True)
        self.map_plot.hideAxis("left")
        self.map_plot.hideAxis("bottom")
        self.map_plot.setMouseEnabled(False, False)
        self.map_image = pg.ImageItem()
        self.map_plot.addItem(self.map_image)
        # under the map, not beside it: the dock is narrow and the plots above need its width
        self.colour_bar = pg.ColorBarItem(values=(1, 2), colorMap=self.colours, interactive=False, width=10,
                                          orientation="horizontal", label="settled at step")
        g.addItem(self.colour_bar, row=3, col=0)
        g.ci.layout.setRowStretchFactor(2, 2)

        self.step_lines = []
        for plot in (self.schedule_plot, self.convergence_plot):
            line = pg.InfiniteLine(angle=90, pen=pg.mkPen("#ffffff", width=1, style=Qt.PenStyle.DashLine))
            plot.addItem(line, ignoreBounds=True)
            self.step_lines.append(line)
        g.scene().sigMouseClicked.connect(self._clicked)
        self._clear_plots()

    def _align_signal_box(self) -> None:
        self.signal_box.setGeometry(self.schedule_plot.vb.sceneBoundingRect())

    # -- following the run ----------------------------------------------------------------------

    def _reset(self) -> None:
        """Another run on screen: start over."""
        self.changes = ChangeTracker()
        self.comparison, self.settled = None, None
        self._x_total = 0
        self._slice_timer.stop()
        if self.graphics is not None:
            self._clear_plots()
        self.refresh()

    def _clear_plots(self) -> None:
        for curve in (self.sigma_curve, self.signal_curve, self.to_final_curve, self.change_curve):
            curve.setData([], [])
        self.map_image.clear()
        self.map_plot.setTitle(f"{SETTLED} (when the run ends)", size=TITLE_SIZE)  # it needs the final image
        self.colour_bar.setVisible(False)
        self.convergence_plot.setTitle(CONVERGENCE, size=TITLE_SIZE)
        self.schedule_plot.setTitle("Noise schedule", size=TITLE_SIZE)

    def _schedule_refresh(self, *_) -> None:
        if not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if self.graphics is None:
            self._build_plots()
        self.refresh()  # nothing is computed while hidden

    def refresh(self) -> None:
        trajectory = self.view.trajectory
        steps = list(trajectory.steps) if trajectory is not None else []
        if not steps or is_one_pass(trajectory):
            self._show_message(ONE_PASS_MESSAGE if steps else NO_RUN)
            return
        self._show_message(None)
        if not self.isVisible() or self.graphics is None:
            return
        plan = schedule(steps)
        total = max(trajectory.total_steps, steps[-1].total, 2)
        if self._x_total != total:  # a fixed step axis: live curves grow into it
            self._x_total = total
            for plot in (self.schedule_plot, self.convergence_plot):
                plot.setXRange(1, total, padding=0.02)
        self.sigma_curve.setData(plan.step, np.maximum(plan.sigma, MIN_SIGMA))
        self.signal_curve.setData(plan.step, plan.signal)
        self.change_curve.setData(plan.step[1:], self.changes.changes(steps)[1:])
        if trajectory.outcome != Outcome.RUNNING and self.comparison is None:
            self.comparison = FinalComparison(trajectory, self.tolerance)  # the run has ended: all its steps
            self._slice_timer.start()
        self._mark_step()

    def _compare_slice(self) -> None:
        comparison = self.comparison
        if comparison is None:
            return
        began = time.perf_counter()
        while not comparison.advance(1) and time.perf_counter() - began < SLICE_S:
            pass
        if not comparison.done:
            self._slice_timer.start()
            return
        numbers = np.array([s.index + 1 for s in comparison.steps])
        self.to_final_curve.setData(numbers, comparison.to_final)
        if comparison.reference_name != FINAL:  # latent previews, or the run did not finish
            self.convergence_plot.setTitle("x0 converging (to the last step)", size=TITLE_SIZE)
        self.settled = comparison.settled()
        grid = make_grid(self.settled.step[..., None], fill=0)[..., 0].astype(np.float64)
        self.map_image.setImage(grid, autoLevels=False, levels=(self.settled.first, self.settled.last))
        self.map_image.setColorMap(self.colours)
        self.colour_bar.setLevels((self.settled.first, max(self.settled.last, self.settled.first + 1)))
        self.colour_bar.setVisible(True)
        self._mark_step()

    def _show_message(self, text: str | None) -> None:
        self.message.setVisible(text is not None)
        if self.graphics is not None:
            self.graphics.setVisible(text is None)
        if text is not None:
            self.message.setText(text)

    def _mark_step(self, *_) -> None:
        step = self.view.current_step_event()
        if step is None or not self.isVisible() or self.graphics is None:
            return
        for line in self.step_lines:
            line.setValue(step.index + 1)
        if self.settled is not None:
            share = float((self.settled.step <= step.index + 1).mean())
            self.map_plot.setTitle(f"Settled by step {step.index + 1}: {share:.0%}", size=TITLE_SIZE)
            self.map_plot.setToolTip(f"The first step from which a pixel's x0 stays within {self.tolerance} "
                                     "levels (of 255) of the final image; dark: early, bright: late")

    # -- clicking -------------------------------------------------------------------------------

    def _clicked(self, event) -> None:
        """A click on the schedule or the convergence plot moves the playhead to the nearest kept
        step; a click on a pixel of the map, to the step it settled at."""
        trajectory = self.view.trajectory
        if trajectory is None or not trajectory.steps:
            return
        for plot in (self.schedule_plot, self.convergence_plot):
            if plot.vb.sceneBoundingRect().contains(event.scenePos()):
                self.playhead.set_step(self.step_at(plot.vb.mapSceneToView(event.scenePos()).x()))
                return
        if self.settled is not None and self.map_plot.vb.sceneBoundingRect().contains(event.scenePos()):
            point = self.map_image.mapFromScene(event.scenePos())
            number = self.settled_at(int(point.x()), int(point.y()))
            if number is not None:
                self.playhead.set_step(self.step_at(number))

    def settled_at(self, x: int, y: int) -> int | None:
        """The settled step of the pixel at (x, y) of the map's grid of samples; None in a gap."""
        assert self.settled is not None
        batch, height, width = self.settled.step.shape
        columns = 1 if batch == 1 else grid_columns(batch)
        (column, dx), (row, dy) = divmod(x, width + PADDING), divmod(y, height + PADDING)
        sample = row * columns + column
        if min(x, y) < 0 or dx >= width or dy >= height or column >= columns or sample >= batch:
            return None
        return int(self.settled.step[sample, dy, dx])

    def step_at(self, number: float) -> int:
        """The kept step (its position) nearest a step number: what a click at x = number picks."""
        numbers = np.array([s.index + 1 for s in self.view.trajectory.steps])
        return int(np.abs(numbers - number).argmin())


def add_run_plots(window, view_model) -> RunPlots:
    """The Plots dock, hidden at first (View > Plots), as a tab beside the gallery. Call it
    before the saved layout is restored, so a person's own placing of it wins."""
    plots = RunPlots(view_model.view, view_model.playhead, view_model.status)
    plots.dock = window.add_panel("Plots", plots)
    gallery = window.findChild(QDockWidget, "dock-gallery")
    if gallery is not None:
        window.tabifyDockWidget(gallery, plots.dock)
    plots.dock.hide()
    # shown from the View menu: brought to the front of its tab group, not left behind the gallery
    plots.dock.toggleViewAction().triggered.connect(lambda shown: shown and plots.dock.raise_())
    return plots
