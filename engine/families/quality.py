"""A model's measured quality, read from its MODEL_CARD.md at the time it is asked for.

`noisescope evaluate MODEL --card` writes the figures block (engine/training/model_card.py): a line
saying how they were measured, then a table with one row per population (real held-out digits, no
label, label asked) and one column per figure. This reads that block back by its header names, so
a card rewritten by a later training is read as it is now; nothing here holds a number of its own.
Torch-free: the window reads it (on its disk thread) before any run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.training.model_card import FIGURES

CARD_NAME = "MODEL_CARD.md"
MAX_CARD_BYTES = 1_000_000  # a card is a few kB; a huge file is not a card
REAL, NO_LABEL, LABEL_ASKED = "real held-out digits", "no label", "label asked"


@dataclass(frozen=True)
class MeasuredQuality:
    """The figures block of one card: how it was measured, and each row's figures by column name."""

    model: str
    how: str  # the card's line: `noisescope evaluate digits-vae --count 1000 --seed 1000` (1000 samples; ...)
    rows: dict[str, dict[str, str]]  # row name -> column name -> the figure as written ("46.0%")

    def figure(self, row: str, column: str) -> str | None:
        value = self.rows.get(row, {}).get(column)
        return None if value in (None, "", "—", "-") else value

    def summary(self) -> str:
        """One plain line: how recognisable its samples are, beside real digits'."""
        parts = []
        asked = self.figure(LABEL_ASKED, "conf>0.9")
        if asked is not None:
            accuracy = self.figure(LABEL_ASKED, "label acc")
            parts.append(f"with a label {asked} recognisable" + (f" ({accuracy} the digit asked)" if accuracy else ""))
        free = self.figure(NO_LABEL, "conf>0.9")
        if free is not None:
            parts.append(f"without, {free}" if parts else f"{free} recognisable")
        real = self.figure(REAL, "conf>0.9")
        text = "; ".join(parts) if parts else "no sample figures in its card"
        return text + (f" (real digits: {real})" if real is not None else "")


def card_path(model_folder: str | Path) -> Path:
    return Path(model_folder) / CARD_NAME


def read_quality(model: str, model_folder: str | Path) -> MeasuredQuality | None:
    """The figures block of the card in `model_folder`, or None when there is no card, no block or
    no table in it (a model nobody has evaluated yet); never raises for a bad card."""
    path = card_path(model_folder)
    try:
        if not path.is_file() or path.stat().st_size > MAX_CARD_BYTES:
            return None
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return parse_figures(model, text)


def parse_figures(model: str, text: str) -> MeasuredQuality | None:
    start, end = text.find(FIGURES[0]), text.find(FIGURES[1])
    if start < 0 or end < start:
        return None
    block = text[start + len(FIGURES[0]):end].strip().splitlines()
    table = [line.strip() for line in block if line.strip().startswith("|")]
    how = next((line.strip() for line in block if line.strip() and not line.strip().startswith("|")), "")
    if len(table) < 3:
        return None
    header = _cells(table[0])
    rows: dict[str, dict[str, str]] = {}
    for line in table[2:]:  # table[1] is the |---| rule
        cells = _cells(line)
        if cells and cells[0]:
            rows[cells[0]] = dict(zip(header[1:], cells[1:]))
    return MeasuredQuality(model, how, rows) if rows else None


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]
