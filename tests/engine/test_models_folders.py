"""The "models folders" setting: extra folders (an AUTOMATIC1111 models/Stable-diffusion, a ComfyUI
models/checkpoints) kept in the user's settings file, listed by the catalog without loading, and
given per run with --models-folder."""

from __future__ import annotations

import json
import os

import pytest

from engine import config_file
from engine.cli.main import main
from engine.models.catalog import Catalog
from tests.engine.checkpoint_fixtures import write_header_checkpoint


@pytest.fixture(autouse=True)
def no_session_folders():
    config_file.clear_session_models_folders()
    yield
    config_file.clear_session_models_folders()


@pytest.fixture
def a1111(tmp_path):
    """models/Stable-diffusion with two checkpoints, one in a sub-folder, a LoRA that is not one, and notes."""
    folder = tmp_path / "webui" / "models" / "Stable-diffusion"
    write_header_checkpoint(folder / "dreamy-sd15.safetensors", "sd1")
    write_header_checkpoint(folder / "xl" / "big-xl.safetensors", "sdxl")
    write_header_checkpoint(folder / "lora-by-mistake.safetensors", "lora")
    (folder / "Put Stable Diffusion checkpoints here.txt").write_text("")
    return folder


def test_the_settings_file_round_trips_and_keeps_other_settings(tmp_path):
    path = config_file.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"something_else": 3}))
    config_file.save_models_folders([tmp_path / "a", tmp_path / "b"])
    assert config_file.saved_models_folders() == [tmp_path / "a", tmp_path / "b"]
    assert json.loads(path.read_text())["something_else"] == 3


def test_a_malformed_settings_file_is_a_problem_not_a_crash(tmp_path):
    path = config_file.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{not json")
    assert config_file.models_folders() == []
    problems: list[str] = []
    assert Catalog().models(problems=problems)  # the bundled models are still offered
    assert any("not valid JSON" in p and str(path) in p for p in problems)
    with pytest.raises(Exception, match="fix or remove it"):
        config_file.save_models_folders([tmp_path])  # never overwrite a hand-edited file we cannot read
    assert path.read_text() == "{not json"


def test_the_catalog_lists_checkpoints_in_a_models_folder_without_loading_them(a1111):
    config_file.save_models_folders([a1111])
    problems: list[str] = []
    models = {m.name: m for m in Catalog().models(problems=problems)}
    assert models["dreamy-sd15"].latent_space == "sd" and models["dreamy-sd15"].origin == "folder"
    assert models["big-xl"].latent_space == "sdxl"  # one level of sub-folders, as A1111 allows
    assert "digits-diffusion" in models  # everything else still there
    assert [p for p in problems if "lora-by-mistake" in p and "a LoRA" in p]
    assert len(problems) == 1  # the .txt note is not a model and not a problem


def test_a_missing_folder_is_one_problem_line(tmp_path, a1111):
    config_file.save_models_folders([tmp_path / "gone", a1111])
    problems: list[str] = []
    names = {m.name for m in Catalog().models(problems=problems)}
    assert "dreamy-sd15" in names
    assert [p for p in problems if str(tmp_path / "gone") in p and "not found" in p]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any folder")
def test_an_unreadable_folder_is_one_problem_line(tmp_path, a1111):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        config_file.save_models_folders([locked, a1111])
        problems: list[str] = []
        names = {m.name for m in Catalog().models(problems=problems)}
        assert "dreamy-sd15" in names and [p for p in problems if str(locked) in p]
    finally:
        locked.chmod(0o755)


def test_the_catalog_refreshes_when_folders_or_files_change(tmp_path, a1111):
    catalog = Catalog()
    assert "dreamy-sd15" not in {m.name for m in catalog.models()}
    config_file.save_models_folders([a1111])
    assert "dreamy-sd15" in {m.name for m in catalog.models()}
    write_header_checkpoint(a1111 / "new-one.safetensors", "sd2")
    assert "new-one" in {m.name for m in catalog.models()}
    (a1111 / "dreamy-sd15.safetensors").unlink()
    assert "dreamy-sd15" not in {m.name for m in catalog.models()}


def test_a_checkpoint_dropped_in_the_user_models_folder_is_listed(isolated_user_data):
    write_header_checkpoint(isolated_user_data / "models" / "mine.safetensors", "sd1")
    assert "mine" in {m.name for m in Catalog().models()}


def test_cli_groups_models_by_kind_and_takes_models_folder(a1111, capsys):
    assert main(["models", "--models-folder", str(a1111)]) == 0
    out = capsys.readouterr().out
    text_to_image = out.index("Text to image (Stable Diffusion):")
    digits = out.index("Diffusion (unconditional or class labels):")
    assert text_to_image < out.index("dreamy-sd15") < digits < out.index("digits-diffusion")
    assert "skipped:" in out and "a LoRA" in out
    assert config_file.saved_models_folders() == []  # --models-folder is for this run only


def test_cli_saves_and_removes_folders(a1111, capsys):
    assert main(["models", "--add-folder", str(a1111), "--json"]) == 0
    data = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert str(a1111.resolve()) in data["models_folders"]
    assert {m["name"]: m["kind"] for m in data["models"]}["big-xl"] == "Text to image (Stable Diffusion)"
    assert main(["models", "--remove-folder", str(a1111)]) == 0
    assert config_file.saved_models_folders() == []
    assert main(["models", "--add-folder", str(a1111 / "nope")]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_generate_finds_a_model_by_name_in_a_models_folder(a1111):
    from engine.models.catalog import find_model

    config_file.save_models_folders([a1111])
    assert find_model("big-xl").source == str(a1111 / "xl" / "big-xl.safetensors")
