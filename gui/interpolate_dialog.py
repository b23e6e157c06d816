"""Run > Interpolate…: a walk from seed to seed (or prompt to prompt). Layout only;
gui/interpolate_wiring.py drives it.

A non-modal window beside the main one (gui/side_window.py), like the Sweep window: on the
left, in the order a person fills it in, the base recipe, the seeds (and a text model's prompts),
the frames between, the frame count or what is wrong (inline), Run / Cancel, the progress, Export.
On the right the player: the frame shown large, a Play button and a slider to scrub, and a strip
of every frame made, filling in as frames finish.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.interpolate.plan import MAX_FRAMES_BETWEEN
from gui.side_window import SideWindow, section

THUMB = 56


class FrameView(QWidget):
    """One frame, as large as fits, pixels kept sharp (a 28x28 digit scaled up without blur)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.image: QImage | None = None
        self.hint = "Type two or more seeds and press Run: the frames show here as they finish."
        self.setMinimumSize(200, 200)

    def set_image(self, image: QImage | None) -> None:
        self.image = image
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        if self.image is None:
            painter.setPen(Qt.GlobalColor.gray)
            painter.drawText(self.rect().adjusted(24, 0, -24, 0), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             self.hint)
            return
        size = self.image.size().scaled(self.size() - QSize(16, 16), Qt.AspectRatioMode.KeepAspectRatio)
        target = QRect(0, 0, size.width(), size.height())
        target.moveCenter(self.rect().center())
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        painter.drawImage(target, self.image)


class InterpolateDialog(SideWindow):
    def __init__(self, parent: QWidget | None = None):
        super().__init__("interpolate", "Interpolate — a walk between seeds", "Run interpolation", parent)

        self.base.setToolTip("Every frame starts from the recipe in the window's form; only the seed "
                             "(and a text model's prompt) moves")
        self.seeds = QLineEdit(objectName="interpolateSeeds", placeholderText="for example 1, 2, 3")
        self.seeds.setToolTip("The seeds to walk through, in order. A frame between seed a and seed b at t is "
                              "seed a with variation seed b at strength t: AUTOMATIC1111's slerp of the start noise "
                              "(a VAE's or GAN's latent vector)")
        self.prompts = QPlainTextEdit(objectName="interpolatePrompts")
        self.prompts.setPlaceholderText("A text model: one prompt a line, to walk from prompt to prompt "
                                        "(empty: the form's prompt)")
        self.prompts.setFixedHeight(70)
        self.prompts_label = QLabel("Prompts")
        self.between = QSpinBox(objectName="interpolateBetween", minimum=1, maximum=MAX_FRAMES_BETWEEN, value=8)
        self.between.setToolTip("Frames made between each pair of seeds")
        self.loop = QCheckBox("Loop back to the first seed", objectName="interpolateLoop")
        self.frame_ms = QSpinBox(objectName="interpolateFrameMs", minimum=10, maximum=10_000, value=80, suffix=" ms")
        self.frame_ms.setToolTip("How long each frame shows, here and in the exported video")
        self.export_button = QPushButton("Export…", objectName="interpolateExport")
        self.export_button.setToolTip("Save the frames as MP4, WebP or GIF, every frame's recipe inside")
        self.gallery_button = QPushButton("Show in Gallery", objectName="interpolateGallery")
        self.gallery_button.setToolTip("The Gallery shows only this interpolation's frames, in their order")
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Seeds", self.seeds)
        form.addRow(self.prompts_label, self.prompts)
        form.addRow("Frames between", self.between)
        form.addRow("", self.loop)
        form.addRow("Each frame", self.frame_ms)

        column = self.column
        column.addWidget(section("Base recipe"))
        column.addWidget(self.base)
        column.addWidget(section("Walk"))
        column.addLayout(form)
        column.addWidget(self.summary)
        self.add_run_controls()
        after = QHBoxLayout()
        after.addWidget(self.export_button, 1)
        after.addWidget(self.gallery_button, 1)
        column.addLayout(after)
        column.addWidget(self.note)
        column.addStretch(1)

        self.view = FrameView()
        self.caption = QLabel(objectName="caption", alignment=Qt.AlignmentFlag.AlignCenter)
        self.play_button = QPushButton("Play", objectName="interpolatePlay")
        self.play_button.setCheckable(True)
        self.slider = QSlider(Qt.Orientation.Horizontal, objectName="interpolateSlider")
        self.slider.setRange(0, 0)
        self.position = QLabel(objectName="caption")
        self.strip = QListWidget(objectName="interpolateStrip")
        self.strip.setViewMode(QListView.ViewMode.IconMode)
        self.strip.setFlow(QListView.Flow.LeftToRight)
        self.strip.setWrapping(False)
        self.strip.setMovement(QListView.Movement.Static)
        self.strip.setIconSize(QSize(THUMB, THUMB))
        self.strip.setSpacing(2)
        self.strip.setFixedHeight(THUMB + 26)
        scrub = QHBoxLayout()
        scrub.addWidget(self.play_button)
        scrub.addWidget(self.slider, 1)
        scrub.addWidget(self.position)
        player = QWidget(objectName="interpolatePlayer")
        right = QVBoxLayout(player)
        right.setContentsMargins(8, 8, 12, 12)
        right.addWidget(self.view, 1)
        right.addWidget(self.caption)
        right.addLayout(scrub)
        right.addWidget(self.strip)

        self.place(player, QSize(1000, 680))

    def prompt_list(self) -> tuple[str, ...]:
        return tuple(line.strip() for line in self.prompts.toPlainText().splitlines() if line.strip())

    def add_thumbnail(self, image: QImage, tip: str) -> None:
        pixmap = QPixmap.fromImage(image.scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                                                Qt.TransformationMode.FastTransformation))
        item = QListWidgetItem(QIcon(pixmap), "")
        item.setToolTip(tip)
        item.setSizeHint(QSize(THUMB + 6, THUMB + 6))
        self.strip.addItem(item)
