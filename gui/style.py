"""The look: a dark neutral theme so the images are what stands out."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

VIEWER_BACKGROUND = QColor("#141517")
ACCENT = "#4c8dff"
ICONS = (Path(__file__).resolve().parent / "icons").as_posix()

STYLESHEET = f"""
QMainWindow, QWidget {{ background: #1e1f22; color: #d8dadf; }}
QLabel {{ background: transparent; }}
QMainWindow::separator {{ background: #2a2c30; width: 1px; height: 1px; }}
QDockWidget {{ titlebar-close-icon: none; }}
QDockWidget::title {{ padding: 6px 10px; background: #232428; color: #9aa0aa; }}
QMenuBar {{ background: #1a1b1e; }}
QMenuBar::item:selected, QMenu::item:selected {{ background: #2f3238; }}
QMenu {{ background: #232428; border: 1px solid #33363c; }}
QLabel#sectionTitle {{ color: #8a909b; font-size: 11px; font-weight: 600; letter-spacing: 1px;
                       padding-top: 10px; }}
QLabel#caption, QLabel#stepInfo, QLabel#timing {{ color: #9aa0aa; }}
QLabel#paneTitle {{ color: #aab0ba; padding: 2px 4px; }}
QComboBox, QSpinBox, QDoubleSpinBox, QLineEdit {{
    background: #2a2c31; border: 1px solid #3a3d44; border-radius: 4px; padding: 4px 6px;
    min-height: 20px; selection-background-color: {ACCENT}; }}
QComboBox:disabled, QSpinBox:disabled, QDoubleSpinBox:disabled, QLineEdit:disabled {{
    color: #5e636c; background: #232428; border-color: #2c2e33; }}
QComboBox::drop-down {{ border: none; width: 22px; }}
QComboBox::down-arrow {{ image: url({ICONS}/chevron-down.svg); width: 10px; height: 6px; }}
QAbstractSpinBox::up-button, QAbstractSpinBox::down-button {{
    subcontrol-origin: border; width: 20px; border: none; background: transparent; }}
QAbstractSpinBox::up-button {{ subcontrol-position: top right; }}
QAbstractSpinBox::down-button {{ subcontrol-position: bottom right; }}
QAbstractSpinBox::up-button:hover, QAbstractSpinBox::down-button:hover {{ background: #363a41; }}
QAbstractSpinBox::up-arrow {{ image: url({ICONS}/chevron-up.svg); width: 9px; height: 5px; }}
QAbstractSpinBox::down-arrow {{ image: url({ICONS}/chevron-down.svg); width: 9px; height: 5px; }}
QAbstractSpinBox::up-arrow:disabled, QAbstractSpinBox::down-arrow:disabled {{ image: none; }}
QComboBox QAbstractItemView {{ background: #2a2c31; selection-background-color: #34507f; }}
QPushButton, QToolButton {{ background: #2d3036; border: 1px solid #3b3f46; border-radius: 4px;
                            padding: 5px 10px; }}
QPushButton:hover, QToolButton:hover {{ background: #363a41; }}
QPushButton:disabled, QToolButton:disabled {{ color: #5e636c; background: #25272b; }}
QToolButton:checked {{ background: #34507f; border-color: {ACCENT}; color: #ffffff; }}
QToolButton:checked:disabled {{ background: #262a31; border-color: #33363c; color: #5e636c; }}
QWidget#galleryPanel QPushButton {{ padding: 5px 4px; }}
QPushButton#generate {{ background: {ACCENT}; border: none; color: white; font-weight: 600;
                        padding: 8px 12px; }}
QPushButton#generate:hover {{ background: #5d9bff; }}
QPushButton#generate:disabled {{ background: #2c3a55; color: #7b8496; }}
QPushButton#cancel {{ padding: 8px 12px; }}
QProgressBar {{ background: #2a2c31; border: none; border-radius: 3px; height: 6px; max-height: 6px; }}
QProgressBar::chunk {{ background: {ACCENT}; border-radius: 3px; }}
QSlider::groove:horizontal {{ height: 4px; background: #3a3d44; border-radius: 2px; }}
QSlider::sub-page:horizontal {{ background: {ACCENT}; border-radius: 2px; }}
QSlider::handle:horizontal {{ background: #e6e8ec; width: 12px; height: 12px; margin: -5px 0;
                              border-radius: 6px; }}
QFrame#errorBanner {{ background: #4a1f24; border: 1px solid #7a2f37; border-radius: 6px; }}
QFrame#errorBanner QWidget {{ background: transparent; }}
QFrame#errorBanner QLabel {{ background: transparent; color: #ffd7db; }}
QFrame#errorBanner QPushButton {{ background: #5e2830; border-color: #8a3a44; }}
QStatusBar {{ background: #1a1b1e; color: #8a909b; }}
QCheckBox {{ spacing: 6px; }}
QCheckBox::indicator {{ width: 14px; height: 14px; border: 1px solid #7a808c; border-radius: 3px;
                        background: #2a2c31; }}
QCheckBox::indicator:hover {{ border-color: {ACCENT}; }}
QCheckBox::indicator:checked {{ background: {ACCENT}; border-color: {ACCENT}; image: url({ICONS}/check.svg); }}
QCheckBox::indicator:disabled {{ border-color: #3a3d44; background: #232428; }}
QLabel#runCaption {{ color: #aab0ba; padding: 2px 2px 0 2px; }}
QScrollBar:vertical {{ background: transparent; width: 10px; margin: 0; }}
QScrollBar::handle:vertical {{ background: #3a3d44; border-radius: 4px; min-height: 24px; margin: 0 2px; }}
QScrollBar::handle:vertical:hover {{ background: #4a4e57; }}
QScrollBar::add-line:vertical, QScrollBar::sub-line:vertical {{ height: 0; }}
QScrollBar::add-page:vertical, QScrollBar::sub-page:vertical {{ background: transparent; }}
QScrollBar:horizontal {{ background: transparent; height: 10px; margin: 0; }}
QScrollBar::handle:horizontal {{ background: #3a3d44; border-radius: 4px; min-width: 24px; margin: 2px 0; }}
QScrollBar::handle:horizontal:hover {{ background: #4a4e57; }}
QScrollBar::add-line:horizontal, QScrollBar::sub-line:horizontal {{ width: 0; }}
QScrollBar::add-page:horizontal, QScrollBar::sub-page:horizontal {{ background: transparent; }}
QFrame#bottomBar {{ background: #1a1b1e; border-top: 1px solid #2a2c30; }}
"""


def apply_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    palette = QPalette()
    for role, color in (
        (QPalette.ColorRole.Window, "#1e1f22"), (QPalette.ColorRole.WindowText, "#d8dadf"),
        (QPalette.ColorRole.Base, "#2a2c31"), (QPalette.ColorRole.Text, "#d8dadf"),
        (QPalette.ColorRole.Button, "#2d3036"), (QPalette.ColorRole.ButtonText, "#d8dadf"),
        (QPalette.ColorRole.Highlight, ACCENT), (QPalette.ColorRole.HighlightedText, "#ffffff"),
        (QPalette.ColorRole.ToolTipBase, "#2a2c31"), (QPalette.ColorRole.ToolTipText, "#d8dadf"),
    ):
        palette.setColor(role, QColor(color))
    app.setPalette(palette)
    font = QFont(app.font())
    font.setPointSize(max(font.pointSize(), 10))
    app.setFont(font)
    app.setStyleSheet(STYLESHEET)
