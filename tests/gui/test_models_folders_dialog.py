"""File > Models folders…: the dialog writes the settings file the CLI reads, and the model list
refreshes with what the new folder holds."""

from __future__ import annotations

import pytest

from engine import config_file
from gui.main_window import MainWindow
from gui.models_folders_dialog import ModelsFoldersDialog
from gui.view_model import ViewModel
from tests.engine.checkpoint_fixtures import write_header_checkpoint


@pytest.fixture
def comfy(tmp_path):
    folder = tmp_path / "ComfyUI" / "models" / "checkpoints"
    write_header_checkpoint(folder / "comfy-xl.safetensors", "sdxl")
    return folder


def test_the_dialog_saves_the_folders_the_cli_reads(qtbot, comfy, tmp_path):
    dialog = ModelsFoldersDialog()
    qtbot.addWidget(dialog)
    dialog.add_folder(comfy)
    dialog.add_folder(comfy)  # once only
    dialog.add_folder(tmp_path / "gone")
    assert dialog.list.count() == 2 and "(not found)" in dialog.list.item(1).text()
    dialog.list.item(1).setSelected(True)
    dialog.remove_selected()
    with qtbot.waitSignal(dialog.saved):
        dialog.accept()
    assert config_file.saved_models_folders() == [comfy]
    assert ModelsFoldersDialog().folders() == [comfy]  # read back when opened again


def test_a_settings_file_it_cannot_read_is_not_overwritten(qtbot, comfy):
    path = config_file.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{broken")
    dialog = ModelsFoldersDialog()
    qtbot.addWidget(dialog)
    dialog.add_folder(comfy)
    dialog.accept()
    assert dialog.error.isVisibleTo(dialog) and "fix or remove it" in dialog.error.text()
    assert path.read_text() == "{broken"


def test_the_menu_action_refreshes_the_model_list(qtbot, comfy):
    vm = ViewModel()
    window = MainWindow(vm)
    qtbot.addWidget(window)
    action = window.findChild(type(window.file_menu.actions()[0]), "modelsFoldersAction")
    assert action is not None and action in window.file_menu.actions()
    action.trigger()
    dialog = window.models_folders_dialog
    assert dialog.isVisible()
    dialog.add_folder(comfy)
    with qtbot.waitSignal(vm.form.catalogChanged, timeout=10000):
        dialog.accept()
    info = vm.form.model_info("comfy-xl")
    assert info is not None and info.takes_text and info.latent_space == "sdxl"
    assert "tiny-diffusion" in {m.name for m in vm.form.models}
