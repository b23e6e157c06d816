"""The model card of a model the digit classifier cannot judge (colour, other sizes): what it was trained on,
how, its loss curve and a grid of its samples, from the model's config.json alone (text only, no torch).

The generated part sits between <!-- card:start --> and <!-- card:end -->, replaced each time; prose
written around it is kept. There is no recognition figure: `noisescope evaluate` measures digits.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.atomic import write_atomically
from engine.training.model_card import CardError, marked_span

BLOCK = ("<!-- card:start -->", "<!-- card:end -->")
CURVE_ROWS = 12  # the loss table stays short; config.json holds up to 40 points


def _curve(points: list[list[float]]) -> list[str]:
    if not points:
        return ["No loss curve was recorded (the model was trained before the loss log existed)."]
    rows = points if len(points) <= CURVE_ROWS else [
        points[round(index * (len(points) - 1) / (CURVE_ROWS - 1))] for index in range(CURVE_ROWS)]
    lines = ["Training loss (min-SNR-weighted epsilon MSE, the mean of each 100 steps):", "",
             "| steps | loss |", "|---|---|"]
    return lines + [f"| {int(step):,} | {loss:.4f} |" for step, loss in rows]


def card_block(config: dict[str, Any], parameters: int | None, grid: str | None) -> str:
    data, training = config.get("data", {}), config.get("training", {})
    arguments = training.get("arguments", {})
    labels = config.get("labels") or []
    lines = ["## Data", "",
             f"{data.get('name', 'unknown data')}: {data.get('train_images', '?'):,} images"
             + (f" in {len(labels)} classes ({', '.join(labels)})" if labels else " (no classes)")
             + f", resized to {config['height']}x{config['width']}"
             + (f" on a {data['background']} background" if data.get("background") else "") + "."]
    if data.get("source"):
        lines += ["", f"Source: {data['source']}."]
    if data.get("attribution"):
        lines += ["", f"Attribution: **{data['attribution']}**."]
    lines += ["", "## Architecture", "",
              f"`{config.get('architecture')}`"
              + (f", {parameters:,} parameters" if parameters else "") + ", stored as fp16 safetensors. Config:",
              "", "```json", json.dumps(config.get("architecture_config"), indent=1), "```",
              "", "## Training", "", "Trained by Noisescope's own code:", "",
              "```", str(arguments.get("command", "(command not recorded)")), "```", "",
              f"- {training.get('steps', 0):,} steps, {training.get('wall_time_s', 0) / 60:.1f} min on "
              f"{training.get('device', '?')} (torch {training.get('torch', '?')})."]
    lines += ["", *_curve(training.get("loss_curve", []))]
    lines += ["", "## Samples", ""]
    if grid:
        lines += [f"![samples]({grid})", "",
                  ("One row per class" if labels else "Unconditional samples")
                  + " (seeds 0-9 in each row, DPM-Solver++, the model's default guidance)."]
    lines += ["", "There is no recognition figure: `noisescope evaluate` measures digits models only. "
              "Judge the samples by looking at them."]
    if config.get("licence"):
        lines += ["", "## Licence", "", str(config["licence"])]
    return "\n".join(lines)


def new_image_card(config: dict[str, Any]) -> str:
    return f"# {config.get('name', 'model')}\n\n{config.get('description', '')}\n\n{BLOCK[0]}\n{BLOCK[1]}\n"


def write_image_card(path: Path, config: dict[str, Any], parameters: int | None, grid: str | None) -> Path:
    """Create the card at `path`, or replace its generated block (CardError for a card without one)."""
    text = path.read_text(encoding="utf-8") if path.exists() else new_image_card(config)
    span = marked_span(text, BLOCK, path)
    if span is None:
        raise CardError(f"{path}: no generated block: put the lines {BLOCK[0]} and {BLOCK[1]} where the "
                        "data, training and samples belong")
    updated = f"{text[:span[0]]}\n{card_block(config, parameters, grid)}\n{text[span[1]:]}"

    def write(temporary: Path) -> None:
        temporary.write_text(updated, encoding="utf-8")

    return write_atomically(path, write)
