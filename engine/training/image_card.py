"""The model card of a model the digit classifier cannot judge (colour, other sizes): what it was trained on,
how, its loss curve, a grid of its samples and, when measured, how near its samples come to their
training images (image_originality.py), from the model's config.json and those figures (text only).

The generated part sits between <!-- card:start --> and <!-- card:end -->, replaced each time; prose
written around it is kept. There is no recognition figure: the classifier judges digits only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.atomic import write_atomically
from engine.training.model_card import CardError, marked_span

BLOCK = ("<!-- card:start -->", "<!-- card:end -->")
ORIGINALITY_ROWS = (("unconditional", "no label"), ("conditional", "label asked"))  # measure()'s sample sets
CURVE_ROWS = 12  # the loss table stays short; config.json holds up to 40 points


def _curve(points: list[list[float]]) -> list[str]:
    if not points:
        return ["No loss curve was recorded (the model was trained before the loss log existed)."]
    rows = points if len(points) <= CURVE_ROWS else [
        points[round(index * (len(points) - 1) / (CURVE_ROWS - 1))] for index in range(CURVE_ROWS)]
    lines = ["Training loss (min-SNR-weighted epsilon MSE, the mean of each 100 steps):", "",
             "| steps | loss |", "|---|---|"]
    return lines + [f"| {int(step):,} | {loss:.4f} |" for step, loss in rows]


def _originality(figures: dict[str, Any] | None, config: dict[str, Any]) -> list[str]:
    """The copies table of engine/training/image_originality.py's measure(), or how to get one."""
    lines = ["## Originality", ""]
    if not figures:
        return lines + [f"Not measured: `noisescope evaluate {config.get('name', 'MODEL')} --card --images FOLDER` "
                        "(the folder it was trained on) measures how near its samples come to their training images."]
    reference = figures["training_images"]
    lines += [f"Against the {reference['samples']:,} training images (L2 distance, RGB in [0, 1]); "
              f"{figures.get('how', '')}", "",
              "| | samples | nearest training image (median) | copies | memorised |", "|---|---|---|---|---|",
              f"| training images, to their nearest other one | {reference.get('measured', reference['samples']):,} | "
              f"{reference['nearest_train_median']:.2f} | | |"]
    for key, name in ORIGINALITY_ROWS:
        if key in figures:
            row = figures[key]
            lines.append(f"| {name} | {row['samples']:,} | {row['nearest_train_median']:.2f} | {row['copies']:.1%} | "
                         f"{row['memorised']:.1%} |")
    return lines + ["", "copies: nearer a training image than 99% of training images of its class lie to their "
                        "nearest other one (a sample without a label: the class of its nearest training image). "
                        "memorised: nearer its nearest training image than a third of the distance to the second "
                        "nearest (Yoon et al. 2023)."]


def _no_label_row(config: dict[str, Any]) -> str:
    """How the card's grid ends: a row without a label for a model that draws without one (as card_samples)."""
    if not (config.get("labels") and config.get("null_label") is not None and config.get("family") == "diffusion"):
        return "."
    guide = config.get("default_guide")
    return (", then a row without a label"
            + (f", autoguided by {guide['model']} (weight {guide['guidance']:g})." if guide else "."))


def card_block(config: dict[str, Any], parameters: int | None, grid: str | None,
               originality: dict[str, Any] | None = None) -> str:
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
                  + " (seeds 0-9 in each row, DPM-Solver++, the model's default guidance)" + _no_label_row(config)]
    lines += ["", "There is no recognition figure: the bundled classifier judges digits only. "
              "Judge the samples by looking at them."]
    lines += ["", *_originality(originality, config)]
    if config.get("licence"):
        lines += ["", "## Licence", "", str(config["licence"])]
    return "\n".join(lines)


def new_image_card(config: dict[str, Any]) -> str:
    return f"# {config.get('name', 'model')}\n\n{config.get('description', '')}\n\n{BLOCK[0]}\n{BLOCK[1]}\n"


def _updated(text: str, path: Path, block: str) -> str:
    span = marked_span(text, BLOCK, path)
    if span is None:
        raise CardError(f"{path}: no generated block: put the lines {BLOCK[0]} and {BLOCK[1]} where the "
                        "data, training and samples belong")
    return f"{text[:span[0]]}\n{block}\n{text[span[1]:]}"


def check_image_card(path: Path) -> None:
    """CardError now, before minutes of sampling, if the card at `path` could not take its block."""
    if path.is_dir():
        raise CardError(f"{path} is a folder; give the card's file name")
    if path.exists():
        _updated(path.read_text(encoding="utf-8"), path, "")


def write_image_card(path: Path, config: dict[str, Any], parameters: int | None, grid: str | None,
                     originality: dict[str, Any] | None = None) -> Path:
    """Create the card at `path`, or replace its generated block (CardError for a card without one)."""
    text = path.read_text(encoding="utf-8") if path.exists() else new_image_card(config)
    updated = _updated(text, path, card_block(config, parameters, grid, originality))

    def write(temporary: Path) -> None:
        temporary.write_text(updated, encoding="utf-8")

    return write_atomically(path, write)
