"""A model card's measured figures, written from `noisescope evaluate --card` (text only, no torch).

A card is hand-written prose plus two generated blocks between HTML comments, which Markdown
viewers do not show:

    <!-- figures:start --> ... <!-- figures:end -->   the latest evaluation, replaced each time
    <!-- curve:start --> ... <!-- curve:end -->       one row per training-step count, kept and extended

Everything outside the blocks is left exactly as it was. A card without a figures block is refused
(the person says where the figures go); a card without a curve block simply has no curve.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from engine.atomic import write_atomically

FIGURES = ("<!-- figures:start -->", "<!-- figures:end -->")
CURVE = ("<!-- curve:start -->", "<!-- curve:end -->")
CURVE_HEADER = ("| steps | no label conf>0.9 | label asked conf>0.9 | label acc | cover | copies | samples "
                "| sampler steps |\n|---|---|---|---|---|---|---|---|")
CURVE_CELLS = CURVE_HEADER.splitlines()[0].count("|") - 1


class CardError(ValueError):
    """The card cannot be updated (no figures block, or its markers are out of order)."""


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _row(name: str, figures: dict[str, Any]) -> str:
    classes = " ".join(str(count) for count in figures["histogram"])
    return (f"| {name} | {figures['samples']} | {_percent(figures['confident'])} | {figures['coverage']}/10 | "
            f"{_percent(figures.get('label_accuracy'))} | {figures['nearest_train_median']:.2f} | "
            f"{_percent(figures.get('copies'))} | {_percent(figures.get('memorised'))} | {classes} |")


def figures_block(result: dict[str, Any], how: str) -> str:
    """The figures table (real digits, no label, label asked; for a VAE with a fitted latent prior also its
    standard prior) under `how`, the line saying how it was measured."""
    lines = [how, "",
             "| | samples | conf>0.9 | cover | label acc | nn dist | copies | memorised | classes 0-9 |",
             "|---|---|---|---|---|---|---|---|---|",
             _row("real held-out digits", result["real_reference"]),
             _row("no label", result["unconditional"])]  # as users get it: autoguided, if the model has a guide
    if "unguided" in result:  # the model alone, no guide: what autoguidance gains
        lines.append(_row("no label, unguided", result["unguided"]))
    if "conditional" in result:
        lines.append(_row("label asked", result["conditional"]))
    if "standard_prior" in result:
        lines.append(_row("standard prior (plain VAE), no label", result["standard_prior"]))
    return "\n".join(lines)


def curve_row(steps: int, result: dict[str, Any]) -> str:
    # The model's own progress: its no-label figure unguided (as every row before autoguidance measured it).
    free, asked = result.get("unguided", result["unconditional"]), result.get("conditional") or {}
    copies = _percent(free.get("copies")) + (f" / {_percent(asked.get('copies'))}" if asked else "")
    cover = f"{free['coverage']}/10" + (f" / {asked['coverage']}/10" if asked else "")
    return (f"| {steps:,} | {_percent(free['confident'])} | {_percent(asked.get('confident'))} | "
            f"{_percent(asked.get('label_accuracy'))} | {cover} | {copies} | {free['samples']} | "
            f"{result.get('sampler_steps') or '—'} |")


def _filled(row: str) -> str:
    """A row from before a column was added gets "—" (not recorded) in the cells it lacks."""
    return row + " — |" * max(0, CURVE_CELLS - (row.strip().count("|") - 1))


def _steps_of(row: str) -> int | None:
    found = re.match(r"\|\s*([\d,]+)\s*\|", row)
    return int(found.group(1).replace(",", "")) if found else None


def merge_curve(block: str, row: str) -> str:
    """The curve table with `row` added, in step order; a row for the same step count is replaced."""
    steps = _steps_of(row)
    rows = [_filled(line) for line in block.splitlines() if _steps_of(line) is not None and _steps_of(line) != steps]
    rows.append(row)
    rows.sort(key=lambda line: _steps_of(line) or 0)
    return "\n".join([CURVE_HEADER, *rows])


def marked_span(text: str, markers: tuple[str, str], where: Path) -> tuple[int, int] | None:
    """Offsets of the text between a card's start and end markers; None when it has neither."""
    start, end = text.find(markers[0]), text.find(markers[1])
    if start < 0 and end < 0:
        return None
    if start < 0 or end < start or text.count(markers[0]) > 1 or text.count(markers[1]) > 1:
        raise CardError(f"{where}: needs exactly one {markers[0]} followed by one {markers[1]}")
    return start + len(markers[0]), end


def update_card(text: str, figures: str, row: str | None, where: Path) -> str:
    """`text` with its figures block replaced and, if it has a curve block, `row` merged into the curve."""
    span = marked_span(text, FIGURES, where)
    if span is None:
        raise CardError(f"{where}: no figures block: put the lines {FIGURES[0]} and {FIGURES[1]} "
                        "where the measured figures belong")
    text = f"{text[:span[0]]}\n{figures}\n{text[span[1]:]}"
    curve = marked_span(text, CURVE, where)
    if curve is not None and row is not None:
        text = f"{text[:curve[0]]}\n{merge_curve(text[curve[0]:curve[1]], row)}\n{text[curve[1]:]}"
    return text


def check_card(path: Path) -> None:
    """CardError now if the card at `path` could not take the figures (a missing card is made new)."""
    if path.is_dir():
        raise CardError(f"{path} is a folder; give the card's file name")
    if path.exists():
        text = path.read_text(encoding="utf-8")
        update_card(text, "", None, path)


def new_card(name: str, description: str) -> str:
    """A card for a model that has none: a title, and the two blocks for the command to fill in."""
    return (f"# {name}\n\n{description}\n\n## Quality\n\n{FIGURES[0]}\n{FIGURES[1]}\n\n"
            f"## Training curve\n\nThe same figures against training steps.\n\n{CURVE[0]}\n{CURVE[1]}\n")


def write_card(path: Path, result: dict[str, Any], how: str, steps: int | None, description: str = "") -> Path:
    """Create or update the card at `path`, atomically (a kill mid-write leaves the old card)."""
    text = path.read_text(encoding="utf-8") if path.exists() else new_card(result["model"], description)
    updated = update_card(text, figures_block(result, how), None if steps is None else curve_row(steps, result), path)

    def write(temporary: Path) -> None:
        temporary.write_text(updated, encoding="utf-8")

    return write_atomically(path, write)
