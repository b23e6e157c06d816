"""Exports are all-or-nothing: a read-only folder, a full disk or a kill leaves no partial file."""

import errno
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine import Recipe
from engine.errors import ExportError
from engine.events import Finished, Started, Step
from engine.export import plan as plan_module
from engine.export.plan import ExportPlan, export_run
from engine.trajectory import Trajectory

ROOT = Path(__file__).resolve().parents[2]
EVERYTHING = ExportPlan(formats=("png", "grid", "gif", "apng", "webp", "mp4", "sheet", "trajectory"))


def synthetic() -> Trajectory:
    rng = np.random.default_rng(1)
    recipe = Recipe(model="synthetic", family="diffusion", steps=3, batch=2)
    recorded = Trajectory()
    recorded.record(Started(recipe, 3, (6, 6, 1), "cpu", "float32", "synthetic"))
    for index in range(3):
        frames = [rng.integers(0, 256, (2, 6, 6, 1), dtype=np.uint8) for _ in range(3)]
        recorded.record(Step(index, 3, 900.0 - index, 1.0, *frames, elapsed_s=0.0))
    recorded.record(Finished(recipe, rng.integers(0, 256, (2, 6, 6, 1), dtype=np.uint8), 0.1))
    return recorded


def test_everything_is_written(tmp_path):
    written = export_run(synthetic(), tmp_path, EVERYTHING)
    assert sorted(f.kind for f in written) == ["apng", "gif", "grid", "mp4", "png", "png", "sheet", "trajectory",
                                              "webp"]
    assert sorted(os.listdir(tmp_path)) == sorted(f.path.name for f in written)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders; see the EROFS test")
def test_read_only_folder(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(ExportError, match="read-only or not yours"):
            export_run(synthetic(), folder, EVERYTHING)
        assert os.listdir(folder) == []
    finally:
        folder.chmod(0o755)


def test_read_only_file_system(tmp_path, monkeypatch):
    import engine.atomic

    def refuse(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(engine.atomic.tempfile, "mkstemp", refuse)
    with pytest.raises(ExportError, match=f"cannot write to {tmp_path}: it is read-only"):
        export_run(synthetic(), tmp_path, EVERYTHING)
    assert os.listdir(tmp_path) == []


def _half_then_full_disk(path) -> None:
    Path(path).write_bytes(b"\x89PNG half a file")
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("kind", ["png", "gif", "mp4", "trajectory"])
def test_full_disk_leaves_nothing_behind(tmp_path, monkeypatch, kind):
    import safetensors.numpy

    from engine.export.formats import mp4

    if kind in ("png", "gif"):
        monkeypatch.setattr(Image.Image, "save", lambda self, fp, *args, **kwargs: _half_then_full_disk(fp))
    elif kind == "mp4":
        monkeypatch.setattr(mp4, "write_mp4", lambda temporary, *rest: _half_then_full_disk(temporary))
    else:
        monkeypatch.setattr(safetensors.numpy, "save_file",
                            lambda tensors, filename, metadata=None: _half_then_full_disk(filename))
    plan = ExportPlan(formats=(kind,))
    with pytest.raises(ExportError, match="disk holding .* is full"):
        export_run(synthetic(), tmp_path, plan)
    assert os.listdir(tmp_path) == []  # no target, no temporary file


KILLED_EXPORT = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    from PIL import Image
    from tests.engine.test_atomic_exports import synthetic
    from engine.export.plan import ExportPlan, export_run

    real_save = Image.Image.save
    def slow_save(self, fp, *args, **kwargs):
        real_save(self, fp, *args, **kwargs)
        print("written, not yet renamed", flush=True)
        time.sleep(60)
    Image.Image.save = slow_save
    export_run(synthetic(), {folder!r}, ExportPlan(formats=("gif",)))
""")


def test_kill_mid_export_leaves_no_target_and_the_next_export_sweeps_up(tmp_path):
    folder = tmp_path / "out"
    script = KILLED_EXPORT.format(root=str(ROOT), folder=str(folder))
    writer = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert writer.stdout.readline().strip() == "written, not yet renamed"
    finally:
        writer.kill()
        writer.wait()
    leftovers = os.listdir(folder)
    assert len(leftovers) == 1 and leftovers[0].startswith(".") and leftovers[0].endswith(".part")
    stale = folder / leftovers[0]
    # a young temporary file may belong to an export still running elsewhere: kept
    export_run(synthetic(), folder, ExportPlan(formats=("gif",)))
    assert stale.exists()
    old = time.time() - plan_module.STALE_AFTER_S - 1
    os.utime(stale, (old, old))
    written = export_run(synthetic(), folder, ExportPlan(formats=("gif",)))
    assert os.listdir(folder) == [written[0].path.name]
    with Image.open(written[0].path) as image:
        assert image.n_frames == 4


def test_a_generate_stopped_mid_export_leaves_none_of_its_files_and_no_history_row(
        tiny_models, tmp_path, monkeypatch, capsys):
    """issue 12: exported files of a killed or interrupted CLI run are left out together, never some
    of them on disk (and none in the history); the next run writes them all."""
    from engine.cli.main import main
    from engine.export.formats import trajectory as trajectory_format
    from engine.history.store import History

    monkeypatch.setenv("NOISESCOPE_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "out"
    args = ["generate", "--model", str(tiny_models["diffusion"]), "--steps", "3", "--label", "3", "--batch", "2",
            "--export", "gif", "--trajectory", "--out", str(out), "--device", "cpu"]

    def interrupted(self, *args, **kwargs):  # the last export: PNGs and the GIF are already written in full
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(trajectory_format.TrajectoryFile, "write", interrupted)
        assert main(args) == 130
    assert not out.exists() or list(out.iterdir()) == []  # no PNG, no GIF, no .part
    with History() as history:
        assert history.list_runs() == []

    assert main(args) == 0
    names = sorted(p.suffix for p in out.iterdir())
    assert names == [".gif", ".png", ".png", ".safetensors"]
    with History() as history:
        assert len(history.list_runs()) == 1
