"""Writing fails with a message, never a traceback (issue 12): a file-size limit or a full disk under the
trajectory export (safetensors' own error type), an --out path too long or not a folder, checked before
the run; and a class-conditional diffusers model without a label is refused before the run."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from engine.cli.main import main
from engine.errors import ExportError
from engine.export.plan import ExportPlan, check_output_folder, export_run
from tests.engine.test_history import synthetic

ROOT = Path(__file__).resolve().parents[2]

FILE_SIZE_LIMIT = textwrap.dedent("""
    import resource, sys
    sys.path.insert(0, {root!r})
    from engine.errors import ExportError
    from engine.export.plan import ExportPlan, export_run
    from tests.engine.test_history import synthetic

    run = synthetic(batch=4, size=64)
    resource.setrlimit(resource.RLIMIT_FSIZE, (16384, 16384))  # Python ignores SIGXFSZ: writes get EFBIG
    try:
        export_run(run, {out!r}, ExportPlan(formats=("trajectory",)))
    except ExportError as exc:
        print("ExportError:", exc.message)
""")


def test_a_file_size_limit_under_the_trajectory_export_is_a_message(tmp_path):
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-c", FILE_SIZE_LIMIT.format(root=str(ROOT), out=str(out))],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ExportError:") and "file-size limit" in result.stdout, result.stdout
    assert list(out.iterdir()) == []  # the temporary file is gone too


def test_a_full_disk_under_the_trajectory_export_is_a_message(tmp_path, monkeypatch):
    import safetensors.numpy
    from safetensors import SafetensorError

    def full(*args, **kwargs):
        raise SafetensorError("Error while serializing: I/O error: No space left on device (os error 28)")

    monkeypatch.setattr(safetensors.numpy, "save_file", full)
    with pytest.raises(ExportError, match="is full"):
        export_run(synthetic(), tmp_path, ExportPlan(formats=("trajectory",)))
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def no_run(monkeypatch):
    """The output folder is checked before the run: the run must not even start."""
    def run(*args, **kwargs):
        raise AssertionError("the run started before the output folder was checked")

    monkeypatch.setattr("engine.cli.generate_cmd.run", run)


def test_an_out_path_too_long_is_told_before_the_run(tiny_models, tmp_path, capsys, no_run):
    for out in (tmp_path / ("n" * 300), tmp_path.joinpath(*["d" * 200] * 25)):
        code = main(["generate", "--model", str(tiny_models["vae"]), "--out", str(out), "--no-history"])
        err = capsys.readouterr().err
        assert code == 2 and "too long" in err and "Traceback" not in err, err


def test_an_out_path_that_is_a_file_is_told_before_the_run(tiny_models, tmp_path, capsys, no_run):
    (tmp_path / "a-file").write_text("")
    code = main(["generate", "--model", str(tiny_models["vae"]), "--out", str(tmp_path / "a-file" / "pictures")])
    assert code == 2 and "is a file, not a folder" in capsys.readouterr().err


def test_a_folder_still_to_be_made_passes_and_is_not_made(tmp_path):
    assert check_output_folder(tmp_path / "new" / "pictures") == tmp_path / "new" / "pictures"
    assert not (tmp_path / "new").exists()


def test_a_class_conditional_diffusers_model_without_a_label(tmp_path, capsys):
    from diffusers import DDPMPipeline, DDPMScheduler, UNet2DModel

    from tests.factories import SCHEDULER, TINY_UNET

    unet = UNet2DModel.from_config(dict(TINY_UNET, num_class_embeds=10))
    DDPMPipeline(unet=unet, scheduler=DDPMScheduler.from_config(SCHEDULER)).save_pretrained(tmp_path / "cc")
    code = main(["generate", "--model", str(tmp_path / "cc"), "--steps", "2", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "needs a class label" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
