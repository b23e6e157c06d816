"""Run > Interpolate…: plans an interpolation from the form's recipe and the seeds (and a text
model's prompts), runs it on the engine worker, shows each frame as it finishes, plays and scrubs
them, and exports them as the CLI does (`noisescope interpolate`: MP4, WebP or GIF, every frame's
recipe inside).

Planning is the engine's torch-free core (parse_seeds, make_interpolation, check_against_model),
so bad input is the engine's message, shown inline as it is typed. The run is one
EngineAdapter.call job (gui/interpolate_job.py) driving engine.interpolate.runner, so each frame is
the image that runner (and `generate` with the frame's recipe) makes. Each frame made is recorded
in the history as a run of its own recipe, the frames as one group "interpolation", as the CLI
records them (gui/group_records.py). The export and the records run on the DiskWorker. The GUI
thread never waits on torch or the disk.
"""

from __future__ import annotations

import os
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QAbstractItemView, QFileDialog, QMainWindow

from engine.conditioning import ClassLabel, TextPrompt
from engine.errors import ExportError, InvalidRecipe, NoisescopeError
from engine.events import Failed
from engine.interpolate.plan import InterpolationPlan, make_interpolation, parse_seeds
from engine.kinds import Family
from engine.samplers.registry import SAMPLERS
from gui.disk_worker import DiskWorker
from gui.engine_adapter import EngineAdapter
from gui.group_records import GroupRecorder, interpolation_group, show_group_in_gallery
from gui.interpolate_dialog import InterpolateDialog
from gui.interpolate_job import FRAME, FrameCounts, InterpolateJob
from gui.recipe_summary import recipe_summary
from gui.side_window_wiring import SideWindowWiring
from gui.view_model import ViewModel

# The export's formats, by the suffix of the file chosen (the CLI's ids, engine/interpolate/export.py).
EXPORT_FILTERS = {"MP4 video (*.mp4)": "mp4", "WebP animation (*.webp)": "webp", "GIF animation (*.gif)": "gif"}
SUFFIX_FORMATS = {".mp4": "mp4", ".webp": "webp", ".gif": "gif"}


class InterpolateWiring(SideWindowWiring):
    def __init__(self, window: QMainWindow, vm: ViewModel, adapter: EngineAdapter, disk: DiskWorker, history=None):
        """history: the HistoryWiring the frames are recorded through (None: not recorded)."""
        super().__init__(window, vm, "the interpolation", ("&Interpolate…", "interpolateAction",
                         "A video walking from seed to seed (slerp of the start noise or latent vector)"))
        self.adapter, self.disk = adapter, disk
        self.records = GroupRecorder(history, disk, self.tasks, vm.status, "the interpolation")
        self.plan: InterpolationPlan | None = None  # the interpolation on screen (running or ended)
        self.images: dict[int, Any] = {}  # frame index -> (H, W, C) uint8
        self.recipes: dict[int, Any] = {}  # frame index -> its recipe as run
        self.frames: list[tuple[int, QImage]] = []  # the frames made, in order: (index, picture)
        self.counts: FrameCounts | None = None
        self.timer = QTimer(self)  # Play: one frame a tick
        self.timer.timeout.connect(self._tick)

    # -- the dialog ------------------------------------------------------------------------
    def make_dialog(self) -> InterpolateDialog:
        return InterpolateDialog(self.window)

    def connect_dialog(self, dialog: InterpolateDialog) -> None:
        dialog.seeds.textChanged.connect(self.check)
        dialog.prompts.textChanged.connect(self.check)
        dialog.between.valueChanged.connect(self.check)
        dialog.loop.toggled.connect(self.check)
        dialog.frame_ms.valueChanged.connect(lambda ms: self.timer.setInterval(ms))
        dialog.run_button.clicked.connect(self.run)
        dialog.cancel_button.clicked.connect(self.cancel)
        dialog.export_button.clicked.connect(self.ask_export)
        dialog.gallery_button.clicked.connect(self.show_in_gallery)
        dialog.play_button.toggled.connect(self.play)
        dialog.slider.valueChanged.connect(self.show_frame)
        dialog.strip.currentRowChanged.connect(lambda row: row >= 0 and dialog.slider.setValue(row))
        self.timer.setInterval(dialog.frame_ms.value())

    def check(self) -> InterpolationPlan | None:
        """Plan the interpolation as typed: the frame count, or what is wrong, inline."""
        dialog = self.dialog
        if dialog is None or self.running:
            return None
        self.ready = False
        info = self.form.model_info()
        dialog.prompts_label.setText("Prompts" if info is not None and info.takes_text else "Prompts\n(text models)")
        prompts, text = dialog.prompt_list(), dialog.seeds.text()
        try:
            base = self.form.build_recipe().replace(batch=1, variation_seed=0, variation_strength=0.0)
            dialog.base.setText(recipe_summary(base, frozenset({"seed"} | ({"conditioning"} if prompts else set()))))
            if not text.strip() and not prompts:
                dialog.show_problem(None, "Type two or more seeds to walk through, for example 1, 2, 3.")
                self._show_state()
                return None
            if prompts and not isinstance(base.conditioning, (TextPrompt, ClassLabel)):  # else make_interpolation says
                try:
                    base.replace(conditioning=TextPrompt(prompts[0], "")).check_against_model(info)
                except InvalidRecipe as exc:
                    raise InvalidRecipe(f"{exc.message}. Clear the Prompts box to walk between seeds.") from None
            seeds = parse_seeds(text) if text.strip() else (base.seed,)
            plan = make_interpolation(base, seeds, dialog.between.value(), dialog.loop.isChecked(), prompts)
            plan.base.check_against_model(info)
            plan.frames[-1].recipe.check_against_model(info)
        except NoisescopeError as exc:
            dialog.show_problem(_window_words(exc.message))
            self._show_state()
            return None
        described = plan.describe()
        dialog.show_problem(None, f"{described[:1].upper()}{described[1:]}.{_stochastic_note(base, info)}")
        self.ready = True
        self._show_state()
        return plan

    # -- running ---------------------------------------------------------------------------
    def run(self):
        """Start the interpolation planned from the dialog; returns its task (None when it cannot run)."""
        plan = self.check()
        if plan is None or self.running or self.dialog is None:
            return None
        self.play(False)
        self.plan, self.images, self.recipes, self.frames = plan, {}, {}, []
        self.dialog.strip.clear()
        self.dialog.view.set_image(None)
        self.dialog.caption.setText("")
        self.dialog.slider.setRange(0, 0)
        self.dialog.note.setText("")
        self.records.start(partial(interpolation_group, plan))
        self.job = job = InterpolateJob(plan, self)
        self.counts = FrameCounts(len(plan.frames))
        job.items.connect(self._arrived)
        self.started_at = time.perf_counter()
        self.window.statusBar().showMessage("An interpolation is running (Run > Interpolate…): Generate waits until "
                                            "it ends or is cancelled.")
        self._show_state()
        return self.tasks.spawn(self._run(job), name="interpolate")

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel.set()
            if self.dialog is not None:
                self.dialog.note.setText("Stopping: the frame being made ends at its next step; the frames done "
                                         "are kept.")
                self.dialog.cancel_button.setEnabled(False)

    async def _run(self, job: InterpolateJob) -> None:
        problem = None
        try:
            await self.adapter.call(job.work)
        except NoisescopeError as exc:
            problem = exc.message
        finally:
            job.drain()  # the frames still waiting, before the end is shown
            self.job = None
            self._ended(job, problem)

    def _arrived(self, items: list[tuple[str, Any]]) -> None:
        from gui.qimage import to_qimage

        dialog = self.dialog
        if dialog is None or self.counts is None:
            return
        following = dialog.slider.value() >= len(self.frames) - 1  # on the newest frame: stay on it
        for kind, item in items:
            self.counts = self.counts.update(kind, item)
            if kind == FRAME:
                index = item.frame.index
                self.images[index], self.recipes[index] = item.image, item.recipe
                picture = to_qimage(item.image)
                self.frames.append((index, picture))
                dialog.add_thumbnail(picture, f"frame {index + 1}: {item.frame.label}")
                self.records.record(index, item.trajectory, self.form.model_info(item.recipe.model))
            elif isinstance(item.event, Failed):
                dialog.show_problem(f"frame {item.frame.index + 1} ({item.frame.label}): {item.event.message}")
        if self.frames:
            dialog.slider.setRange(0, len(self.frames) - 1)
            if following:
                dialog.slider.setValue(len(self.frames) - 1)
            self.show_frame(dialog.slider.value())
        self._show_state()

    def _ended(self, job: InterpolateJob, problem: str | None) -> None:
        self.window.statusBar().clearMessage()
        if self.dialog is None or self.plan is None:
            return
        if problem is not None:
            self.dialog.show_problem(problem)
        done, total = len(self.images), len(self.plan.frames)
        seconds = time.perf_counter() - self.started_at
        stopped = job.cancel.is_set() or done < total
        self.counts = FrameCounts(total, done)
        self.dialog.note.setText(f"{'Stopped' if stopped else 'Done'}: {done} of {total} frames in {seconds:.1f} s."
                                 + (" Press Play, or drag the slider." if done > 1 else ""))
        self._show_state()
        if not self.disk.closed:
            self.tasks.spawn(self._in_gallery(self.dialog.note.text()), name="interpolate-gallery")

    async def _in_gallery(self, note: str) -> None:
        """Once the frames' records are written: say where they are (the note unchanged meanwhile)."""
        group = await self.records.settled()
        if self.dialog is not None and group is not None and self.dialog.note.text() == note:
            self.dialog.note.setText(f"{note} In the Gallery as interpolation #{group}.")
        self._show_state()

    def show_in_gallery(self):
        """The Gallery filtered to this interpolation's frames, its dock brought up; returns the refresh task."""
        return show_group_in_gallery(self.records.history_wiring, self.records.group["id"])

    # -- the player ------------------------------------------------------------------------
    def show_frame(self, position: int) -> None:
        dialog = self.dialog
        if dialog is None or not 0 <= position < len(self.frames) or self.plan is None:
            return
        index, picture = self.frames[position]
        dialog.view.set_image(picture)
        dialog.caption.setText(self.plan.frames[index].label)
        dialog.position.setText(f"{position + 1} / {len(self.frames)}")
        if dialog.strip.currentRow() != position:
            dialog.strip.blockSignals(True)
            dialog.strip.setCurrentRow(position)
            dialog.strip.blockSignals(False)
        dialog.strip.scrollToItem(dialog.strip.item(position), QAbstractItemView.ScrollHint.PositionAtCenter)

    def play(self, on: bool) -> None:
        if self.dialog is not None and self.dialog.play_button.isChecked() != on:
            self.dialog.play_button.setChecked(on)  # comes back here through toggled
            return
        if on and len(self.frames) > 1:
            self.timer.start()
        else:
            self.timer.stop()
        if self.dialog is not None:
            self.dialog.play_button.setText("Pause" if self.timer.isActive() else "Play")

    def _tick(self) -> None:
        if self.dialog is None or len(self.frames) < 2:
            self.play(False)
            return
        slider = self.dialog.slider
        slider.setValue((slider.value() + 1) % len(self.frames))

    # -- export, on the disk thread --------------------------------------------------------
    def ask_export(self) -> None:
        if self.plan is None or not self.images or self.dialog is None:
            return
        from engine.interpolate.export import file_stem
        from engine.paths import default_output_dir

        suggested = str(default_output_dir() / (file_stem(self.plan) + ".mp4"))
        self.file_dialog = QFileDialog(self.dialog, "Export the interpolation", suggested, ";;".join(EXPORT_FILTERS))
        self.file_dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        self.file_dialog.setDefaultSuffix("mp4")
        self.file_dialog.filterSelected.connect(lambda name: self.file_dialog and self.file_dialog.setDefaultSuffix(
            EXPORT_FILTERS.get(name, "mp4")))
        self.file_dialog.fileSelected.connect(lambda path: self.export(Path(path)))
        self.file_dialog.open()

    def export(self, path: Path):
        """Write the frames made to `path` (its suffix picks MP4, WebP or GIF); returns the task."""
        if self.plan is None or self.disk.closed or self.dialog is None:
            return None
        info = self.form.model_info(self.plan.base.model)
        future = self.disk.submit(export_frames, self.plan, dict(self.images), dict(self.recipes), Path(path),
                                  self.dialog.frame_ms.value(), info)
        return self.tasks.spawn(self._exported(future), name="interpolate-export")

    async def _exported(self, future) -> None:
        try:
            path = await future
        except NoisescopeError as exc:
            if self.dialog is not None:
                self.dialog.note.setText(f"Not saved: {exc.message}")
            return
        if self.dialog is not None:
            self.dialog.note.setText(f"Saved: {path}")

    # -- plumbing --------------------------------------------------------------------------
    def _show_state(self) -> None:
        dialog = self.dialog
        if dialog is None:
            return
        running = self.running
        dialog.show_run(running, self.ready, bool(self.job and self.job.cancel.is_set()), self.counts)
        dialog.export_button.setEnabled(not running and bool(self.images))
        dialog.gallery_button.setEnabled(not running and self.records.group["id"] is not None)
        dialog.play_button.setEnabled(len(self.frames) > 1)
        for widget in (dialog.seeds, dialog.prompts, dialog.between, dialog.loop):
            widget.setEnabled(not running)

    def close(self) -> None:
        self.timer.stop()
        super().close()


def export_frames(plan: InterpolationPlan, images: dict[int, Any], recipes: dict[int, Any], path: Path,
                  frame_ms: int, info) -> Path:
    """On the disk thread: the CLI's file (engine.interpolate.export, every frame's recipe inside),
    written beside `path` under the engine's name and then moved to the name chosen."""
    from engine.interpolate.export import InterpolationExport, export_interpolation
    from engine.models.hashing import model_hash

    format_id = SUFFIX_FORMATS.get(path.suffix.lower())
    if format_id is None:
        raise ExportError(f"{path.name}: an interpolation is saved as .mp4, .webp or .gif; pick one of those")
    if not path.parent.is_dir():
        raise ExportError(f"the folder {path.parent} does not exist")
    options = InterpolationExport((format_id,), frame_ms)
    try:
        folder = tempfile.mkdtemp(prefix=".noisescope-", dir=path.parent)  # same disk: the move is atomic
    except OSError as exc:
        raise ExportError(f"cannot write in {path.parent}: {exc.strerror or exc}") from None
    try:
        (written,) = export_interpolation(plan, images, recipes, Path(folder), options,
                                          model_hash(info) if info is not None else None)
        os.replace(written, path)
    finally:
        for leftover in Path(folder).iterdir():
            leftover.unlink()
        os.rmdir(folder)
    return path


def _window_words(message: str) -> str:
    """The engine's messages name the CLI's flags; the window names its boxes."""
    for flag, words in (("give them as --seeds 1,2", "type them in Seeds, like 1, 2"), ("--seeds", "Seeds"),
                        ("--prompts", "Prompts"), ("leave out --label", "clear the Prompts box or pick a text model")):
        message = message.replace(flag, words)
    return message


def _stochastic_note(recipe, info) -> str:
    spec = SAMPLERS.get(recipe.sampler)
    if info is not None and info.family == Family.DIFFUSION and spec is not None and (spec.stochastic or (spec.uses_eta and recipe.eta > 0)):
        return (f" Note: {spec.display_name} draws fresh noise every step, so the video jumps at each seed; "
                "DDIM or DPM++ 2M walk smoothly.")
    return ""
