"""Every registered export format writes its file and reads its own recipe back; the registry
dispatches reading by suffix, in any case; the ZIP of steps (the format added as one module)."""

from __future__ import annotations

import io
import json
import shutil
import zipfile

import numpy as np
import pytest
from PIL import Image

from engine import Recipe
from engine.errors import ExportError
from engine.events import Finished, Started, Step
from engine.export.animation import AnimationOptions
from engine.export.formats import registry
from engine.export.formats.base import ExportOptions, Kind, Needs
from engine.export.plan import ExportPlan, export_run, file_stem
from engine.export.restore import read_recipe
from engine.trajectory import Trajectory

FORMATS = registry.formats()


def synthetic(batch: int = 2, steps: int = 3, channels: int = 1) -> Trajectory:
    rng = np.random.default_rng(7)
    recipe = Recipe(model="synthetic", family="diffusion", sampler="ddim", steps=steps, batch=batch, seed=40,
                    guidance=3.0)
    recorded = Trajectory()
    recorded.record(Started(recipe, steps, (6, 5, channels), "cpu", "float32", "synthetic"))
    for index in range(steps):
        frames = [rng.integers(0, 256, (batch, 6, 5, channels), dtype=np.uint8) for _ in range(3)]
        recorded.record(Step(index, steps, 900.0 - index, 1.0 / (index + 1), *frames, elapsed_s=0.0))
    recorded.record(Finished(recipe, rng.integers(0, 256, (batch, 6, 5, channels), dtype=np.uint8), 0.1))
    return recorded


def test_ids_are_unique_and_every_format_describes_itself():
    assert len(set(registry.ids())) == len(FORMATS)
    for format in FORMATS:
        assert format.label and isinstance(format.kind, Kind) and isinstance(format.needs, Needs)
        assert format.suffixes and all(s == s.lower() and s.startswith(".") for s in format.suffixes)
    assert {"png", "grid", "gif", "apng", "webp", "mp4", "sheet", "trajectory", "zip"} <= set(registry.ids())


@pytest.mark.parametrize("format", FORMATS, ids=lambda f: f.id)
def test_each_format_writes_and_reads_its_own_recipe(tmp_path, format):
    trajectory = synthetic()
    options = ExportOptions(sample=1)
    name = format.file_name(trajectory, file_stem(trajectory), options)
    assert name.endswith(format.suffixes[0])
    path = format.write(trajectory, tmp_path / name, options, model_hash="abcdef0123")
    assert path == tmp_path / name and list(tmp_path.iterdir()) == [path]  # atomic: no temporary left
    restored = format.read_recipe(path)
    assert restored is not None and restored.source == "noisescope"
    assert restored.recipe() == trajectory.recipe
    assert read_recipe(path).recipe() == restored.recipe()  # `show` and drop-to-restore find it too
    shouted = tmp_path / f"SHOUTED{format.suffixes[0].upper()}"
    shutil.copy(path, shouted)
    assert read_recipe(shouted).recipe() == restored.recipe()  # suffixes in any case


@pytest.mark.parametrize("format", [f for f in FORMATS if f.needs is Needs.STEPS], ids=lambda f: f.id)
def test_step_formats_refuse_a_run_without_steps(tmp_path, format):
    empty = Trajectory()
    empty.record(Started(Recipe(model="synthetic", guidance=3.0), 3, (6, 5, 1), "cpu", "float32", "synthetic"))
    with pytest.raises(ExportError, match="no steps"):
        format.write(empty, tmp_path / f"x{format.suffixes[0]}", ExportOptions())
    assert list(tmp_path.iterdir()) == []


def test_unknown_format_is_named_with_the_choices():
    with pytest.raises(ExportError, match="export format must be one of png, grid, .*not 'tiff'"):
        ExportPlan(formats=("tiff",))


def test_earlier_flag_spelling_of_a_plan_still_means_the_same():
    assert ExportPlan(samples=False, grid=True, animations=("gif",), sheet=True, trajectory=True) == ExportPlan(
        formats=("grid", "gif", "sheet", "trajectory"))
    assert ExportPlan() == ExportPlan(formats=("png",))


def test_a_renamed_file_is_read_by_its_content(tmp_path):
    trajectory = synthetic()
    (gif,) = export_run(trajectory, tmp_path, ExportPlan(formats=("gif",)))
    renamed = gif.path.rename(tmp_path / "what-is-this.bin")
    assert read_recipe(renamed).recipe() == trajectory.recipe
    with pytest.raises(ExportError, match="no such file"):
        read_recipe(tmp_path / "gone.zip")


def test_zip_of_steps_holds_every_step_and_the_recipe(tmp_path):
    trajectory = synthetic(batch=3, steps=4)
    (written,) = export_run(trajectory, tmp_path, ExportPlan(formats=("zip",)), model_hash="abcdef0123")
    assert written.kind == "zip"
    with zipfile.ZipFile(written.path) as archive:
        names = archive.namelist()
        assert names == [f"step{n:04d}-{view}.png" for n in range(1, 5) for view in ("x_t", "x0")] + ["final.png"]
        assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
        assert Recipe.from_json(archive.comment.decode()) == trajectory.recipe
        with Image.open(io.BytesIO(archive.read("step0002-x0.png"))) as image:
            assert Recipe.from_json(image.text["noisescope_recipe"]) == trajectory.recipe
            assert "Model hash: abcdef0123" in image.text["parameters"]
            grid = np.asarray(image)
    assert grid.shape == (6 * 2 + 2, 5 * 2 + 2)  # the batch of three as a 2x2 grid, native size
    assert np.array_equal(grid[:6, :5], trajectory.steps[1].x0[0, ..., 0])


def test_zip_of_one_sample(tmp_path):
    trajectory = synthetic(batch=3, channels=3)
    plan = ExportPlan(formats=("zip",), animation=AnimationOptions(sample=2))
    (written,) = export_run(trajectory, tmp_path, plan)
    assert written.path.name.endswith("-steps-sample2.zip")
    with zipfile.ZipFile(written.path) as archive, Image.open(io.BytesIO(archive.read("final.png"))) as image:
        assert np.array_equal(np.asarray(image), trajectory.final[2])
        assert json.loads(image.text["noisescope_recipe"])["seed"] == 40


def test_a_zip_without_our_comment_is_not_ours(tmp_path):
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ExportError, match="carries no recipe"):
        read_recipe(tmp_path / "other.zip")
    (tmp_path / "broken.zip").write_bytes(b"PK not really")
    with pytest.raises(ExportError, match="not a ZIP"):
        read_recipe(tmp_path / "broken.zip")


@pytest.mark.skipif("avif" not in registry.ids(), reason="this Pillow cannot write AVIF")
def test_animated_avif(tmp_path):
    trajectory = synthetic(channels=3)
    (written,) = export_run(trajectory, tmp_path, ExportPlan(formats=("avif",)))
    with Image.open(written.path) as image:
        assert image.format == "AVIF" and image.n_frames == 3 + 1
    assert read_recipe(written.path).recipe() == trajectory.recipe
