"""Help > About: the version, what the app is, and the attribution the bundled data asks for."""

from __future__ import annotations

import html
import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from engine.models.data_credits import DataCredit, bundled_data_credits
from gui.launcher import app_version

# assets/data/DIGITS_LICENSE.md: the bundled models and digits are derived from MNIST (CC BY-SA 3.0),
# whose licence asks that its authors be credited wherever the work is shown.
DATA_ATTRIBUTION = (
    "The bundled digits and the models trained on them are derived from the MNIST database by "
    "Yann LeCun, Corinna Cortes and Christopher J. C. Burges, shared under the Creative Commons "
    "Attribution-Share Alike 3.0 licence (CC BY-SA 3.0). See assets/data/DIGITS_LICENSE.md."
)

LINK = "color: #7fb0ff;"  # the palette's link blue is unreadable on the dark theme


URL = re.compile(r"https?://[^\s)]+")


def _linked(text: str) -> str:
    """`text` as HTML, its URLs as links."""
    parts, last = [], 0
    for match in URL.finditer(text):
        parts += [html.escape(text[last:match.start()]),
                  f"<a style='{LINK}' href='{html.escape(match.group())}'>{html.escape(match.group())}</a>"]
        last = match.end()
    return "".join(parts) + html.escape(text[last:])


def _credits_html(credits: list[DataCredit]) -> str:
    """Each bundled model and the data it was trained on, from the models' own configs."""
    if not credits:
        return ""
    items = "".join(f"<li>{html.escape(', '.join(credit.models))}: {_linked(credit.attribution)}</li>"
                    for credit in credits)
    return f"<p>The bundled models, and the data each was trained on:</p><ul>{items}</ul>"


def about_text() -> str:
    return (f"<h3>Noisescope {app_version()}</h3>"
            "<p>Watch generative image models (diffusion, VAE, GAN) turn noise into images, step by step.</p>"
            f"<p><b>Data</b><br>{DATA_ATTRIBUTION}</p>"
            f"{_credits_html(bundled_data_credits())}"
            f"<p>MNIST: <a style='{LINK}' href='http://yann.lecun.com/exdb/mnist/'>yann.lecun.com/exdb/mnist</a> · "
            f"CC BY-SA 3.0: <a style='{LINK}' href='https://creativecommons.org/licenses/by-sa/3.0/'>"
            "creativecommons.org/licenses/by-sa/3.0</a></p>")


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("About Noisescope")
        self.text = QLabel(about_text(), wordWrap=True, openExternalLinks=True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.text.setMinimumWidth(420)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
