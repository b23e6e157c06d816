"""Sweeps: axes parsed by the field table, cells planned and checked before running, each cell
the same PNG `generate` writes, and A1111's labelled X/Y/Z grid with the sweep inside."""

import json
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.conditioning import ClassLabel, TextPrompt
from engine.errors import InvalidRecipe
from engine.export.grid import upscale
from engine.export.restore import read_recipe
from engine.history import History
from engine.recipe import Recipe
from engine.sweep.axes import parse_axis
from engine.sweep.grid_image import sweep_grid
from engine.sweep.plan import TooManyCells, make_plan
from engine.sweep.runner import CellDone, GroupEvent, run_sweep
from tests.engine.test_cli import run_cli


@pytest.mark.parametrize(("text", "field", "values"), [
    ("steps=5,10,20", "steps", (5, 10, 20)),
    ("Sampler=DDIM, DPM++ 2M", "sampler", ("ddim", "dpmpp_2m")),
    ("seed=1-4", "seed", (1, 2, 3, 4)),
    ("steps=10-30 (+10)", "steps", (10, 20, 30)),
    ("CFG scale=1-7 [4]", "guidance", (1.0, 3.0, 5.0, 7.0)),
    ("variation-strength=0,0.5", "variation_strength", (0.0, 0.5)),
    ("label=3,7", "conditioning", (ClassLabel("3"), ClassLabel("7"))),
    ('prompt="a cat, sitting",a dog', "conditioning", (TextPrompt("a cat, sitting"), TextPrompt("a dog"))),
    ("Schedule type=default,Karras", "schedule", ("default", "karras")),
])
def test_axes_are_read_by_each_fields_own_parser(text, field, values):
    axis = parse_axis(text, "x")
    assert (axis.field, axis.values) == (field, values)


@pytest.mark.parametrize(("axes", "message"), [
    (["stepz=5"], "--x 'stepz=5': no recipe field 'stepz'; did you mean steps? fields that can be swept: model,"),
    (["steps=abc"], "--x 'steps=abc': steps must be a whole number, not 'abc'"),
    (["sampler=DDIM,plms"], "unknown sampler 'plms'; known samplers:"),
    (["steps="], "--x 'steps=': no values after '='; list them separated by commas, for example steps=10,20,30"),
    (["steps"], "write FIELD=VALUES, for example steps=10,20,30"),
    (["steps=5,10", "steps=20"], "--x and --y both sweep steps; sweep each field on one axis"),
    (["label=3", "prompt=a cat"], "--x and --y both sweep conditioning"),
    (["batch=1,2"], "batch cannot be swept"),
    (["steps=0,5"], "steps must be between 1 and 1000, not 0"),
    (["seed=1-100000000"], "gives more than 1000 values"),
])
def test_bad_axes_get_one_clear_line(capsys, tiny_models, tmp_path, axes, message):
    flags = [arg for name, text in zip("xyz", axes) for arg in (f"--{name}", text)]
    code, out, err = run_cli(capsys, "sweep", "--model", str(tiny_models["diffusion"]), *flags, "--out", str(tmp_path))
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())


def test_cells_that_do_not_fit_are_named_before_anything_runs(capsys, tiny_models, tmp_path):
    diffusion = str(tiny_models["diffusion"])
    code, _, err = run_cli(capsys, "sweep", "--model", diffusion, "--schedule", "karras", "--x", "sampler=Euler,DDIM",
                           "--out", str(tmp_path))
    assert code == 2 and "cell sampler=DDIM: schedule type Karras does not apply to DDIM" in err
    # (a label on the VAE in a model sweep is dropped for its cells: tests/engine/test_families_sweep.py)
    code, _, err = run_cli(capsys, "sweep", "--model", diffusion, "--prompt", "a cat", "--x",
                           f"model={diffusion},{tiny_models['gan']}", "--out", str(tmp_path))
    assert code == 2 and "cell model=tiny-diffusion: " in err, err
    code, _, err = run_cli(capsys, "sweep", "--model", diffusion, "--x", "seed=1-11", "--y", "steps=1-10",
                           "--out", str(tmp_path))
    assert code == 2 and "the sweep makes 110 cells, more than 100 allowed without asking: pass --max-cells 110" in err
    assert not list(tmp_path.iterdir())


def test_cells_run_z_then_y_then_x_and_consecutive_seeds_share_a_run():
    base = Recipe(model="m", steps=3)
    plan = make_plan(base, [parse_axis("seed=1-3"), parse_axis("steps=2,4", "y"), parse_axis("label=1,2", "z")])
    assert plan.shape == (3, 2, 2) and [c.at for c in plan.cells[:4]] == [(0, 0, 0), (1, 0, 0), (2, 0, 0), (0, 1, 0)]
    assert plan.cell_at(2, 1, 1).recipe == base.replace(seed=3, steps=4, label="2")
    groups = plan.groups()
    assert len(groups) == 4 and all(g.recipe.batch == 3 and len(g.cells) == 3 for g in groups)
    assert len(plan.groups(max_batch=2)) == 8
    varied = make_plan(base.replace(variation_strength=0.5), [parse_axis("seed=1-3")])
    assert len(varied.groups()) == 3  # a variation keeps the batch's seed: no sharing
    with pytest.raises(TooManyCells):
        make_plan(base, [parse_axis("seed=1-20"), parse_axis("steps=1-10", "y")], max_cells=100)
    with pytest.raises(InvalidRecipe, match="at least one axis"):
        make_plan(base, [])


def _png_pixels(path):
    return np.asarray(Image.open(path))


def _generate(capsys, tiny_models, tmp_path, *flags):
    code, out, _ = run_cli(capsys, "generate", "--model", str(tiny_models["diffusion"]), "--label", "4", "--device",
                           "cpu", "--out", str(tmp_path), "--no-history", "--json", *flags)
    assert code == 0
    return json.loads(out)["images"][0]


@pytest.mark.parametrize(("x", "y", "cell_flags"), [
    ("steps=2,3", "sampler=DDIM,Euler a", [["--steps", s, "--sampler", m] for m in ("DDIM", "Euler a") for s in "23"]),
    ("seed=5-7", None, [["--seed", s] for s in "567"]),  # one batched run of three seeds
])
def test_each_cell_is_the_png_generate_writes(capsys, tiny_models, tmp_path, x, y, cell_flags):
    base = ["--model", str(tiny_models["diffusion"]), "--label", "4", "--device", "cpu", "--steps", "3", "--seed", "9"]
    axes = ["--x", x] + (["--y", y] if y else [])
    code, out, err = run_cli(capsys, "sweep", *base, *axes, "--out", str(tmp_path / "sweep"), "--json", "--no-history")
    assert code == 0, err
    summary = json.loads(out)
    assert f"noisescope: cell 1{'-3' if y is None else ''}/{len(cell_flags)}: " in err  # the seeds share one run
    for cell, flags in zip(summary["cells"], cell_flags):
        made = _generate(capsys, tiny_models, tmp_path / "generate", "--steps", "3", "--seed", "9", *flags)
        swept = cell["images"][0]
        assert Path(swept).name == Path(made).name
        assert np.array_equal(_png_pixels(swept), _png_pixels(made))
        assert Image.open(swept).text == Image.open(made).text  # the same recipe chunks, word for word


def test_grid_follows_a1111s_layout_and_carries_the_sweep(capsys, tiny_models, tmp_path):
    code, out, _ = run_cli(capsys, "sweep", "--model", str(tiny_models["diffusion"]), "--label", "4", "--steps", "2",
                           "--device", "cpu", "--x", "sampler=DDIM,Euler", "--y", "guidance=1,3", "--z", "seed=1,2",
                           "--out", str(tmp_path), "--json")
    assert code == 0
    summary = json.loads(out)
    grid = Image.open(summary["grid"])
    sweep = json.loads(grid.text["noisescope_sweep"])
    assert len(sweep["cells"]) == 8 and sweep["axes"]["y"] == {"field": "guidance", "values": ["1", "3"]}
    assert sweep["cells"][5]["recipe"]["seed"] == 2 and sweep["cells"][5]["recipe"]["sampler"] == "euler"
    assert grid.text["Description"] == "X: Sampler DDIM, Euler; Y: Guidance 1, 3; Z: Seed 1, 2"
    assert read_recipe(Path(summary["grid"])).fields["sampler"] == "ddim"  # dropping it restores the first cell
    with History() as history:
        assert len(history.list_runs()) == 8  # every cell an ordinary run

    plan = make_plan(Recipe(model=str(tiny_models["diffusion"]), label="4", steps=2, device="cpu"),
                     [parse_axis("sampler=DDIM,Euler"), parse_axis("guidance=1,3", "y"), parse_axis("seed=1,2", "z")])
    images = {index: _png_pixels(cell["images"][0])[..., None] for index, cell in enumerate(summary["cells"])}
    recipes = {index: Recipe.from_dict(cell["recipe"]) for index, cell in enumerate(summary["cells"])}
    picture, layout = sweep_grid(plan, images, recipes)
    assert np.array_equal(picture, np.asarray(grid.convert("RGB")))
    tile_w, tile_h = layout.tile
    assert (tile_w, tile_h) == (192, 192)  # 8x8 cells upscaled 24 times
    assert grid.size == layout.size and layout.size[0] > 2 * (2 * tile_w + tile_w * 3 // 4)
    for index, (left, top) in layout.cells.items():
        expected = np.repeat(upscale(images[index], 24), 3, axis=2)
        assert np.array_equal(picture[top:top + tile_h, left:left + tile_w], expected)
    texts = [text.replace("\n", " ") for text, _ in layout.labels]
    assert texts[1:6] == ["Seed: 1", "Sampler: DDIM", "Sampler: Euler", "Guidance: 1", "Guidance: 3"]
    assert texts[0].startswith("Model: tiny-diffusion, class 4") and "Steps: 2" in texts[0]
    for _, (left, top, right, bottom) in layout.labels:
        assert picture[top:bottom, left:right].min() < 128  # text was drawn in each label's box
    x_label, y_label = layout.labels[2][1], layout.labels[4][1]
    assert x_label[3] <= layout.cells[0][1] and y_label[2] <= layout.cells[0][0]  # X above, Y to the left


def test_cancel_stops_at_the_next_step_and_keeps_the_cells_made(tiny_models):
    plan = make_plan(Recipe(model=str(tiny_models["diffusion"]), label="4", device="cpu"),
                     [parse_axis("steps=1,2,3")])
    cancel, done, ends = threading.Event(), [], []
    for item in run_sweep(plan, cancel):
        if isinstance(item, CellDone):
            done.append(item.cell.index)
            cancel.set()
        elif type(item.event).__name__ in ("Cancelled", "Finished"):
            ends.append(type(item.event).__name__)
    assert done == [0] and ends == ["Finished", "Cancelled"]
    assert isinstance(item, GroupEvent)


def test_ctrl_c_keeps_the_cells_written_and_says_so(capsys, tiny_models, tmp_path, monkeypatch):
    import engine.sweep.runner as runner

    real = runner.run_sweep

    def interrupted_after_one_cell(*args, **kwargs):
        for item in real(*args, **kwargs):
            yield item
            if isinstance(item, CellDone):
                raise KeyboardInterrupt

    monkeypatch.setattr(runner, "run_sweep", interrupted_after_one_cell)
    code, out, err = run_cli(capsys, "sweep", "--model", str(tiny_models["diffusion"]), "--device", "cpu",
                             "--x", "steps=1,2,3", "--out", str(tmp_path), "--no-history")
    assert code == 130 and out == ""
    assert f"interrupted after 1 of 3 cells; their PNGs are in {tmp_path}" in err
    assert [p.name.split("-")[3] for p in tmp_path.glob("*.png")] == ["1"]  # cell steps=1 only, no grid


def test_the_fields_a_person_is_told_about_are_each_named_once():
    from engine.sweep.axes import sweepable_fields

    names = sweepable_fields()
    assert len(names) == len(set(names)) and {"steps", "sampler", "label", "prompt", "seed"} <= set(names)
