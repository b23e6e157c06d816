"""GUI tests: offscreen Qt, tiny models in a temp assets folder, temp settings and data."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

MODELS = ("tiny-diffusion", "tiny-uncond", "tiny-vae", "tiny-gan", "zz-broken")


@pytest.fixture(scope="session")
def assets_dir(tmp_path_factory) -> Path:
    from tests.factories import tiny_diffusion, tiny_gan, tiny_vae

    root = tmp_path_factory.mktemp("assets")
    models = root / "models"
    models.mkdir()
    tiny_diffusion(models, "tiny-diffusion")
    tiny_diffusion(models, "tiny-uncond", labels=False)
    tiny_vae(models, "tiny-vae")
    tiny_gan(models, "tiny-gan")
    broken = tiny_diffusion(models, "zz-broken")
    weights = next(Path(broken).glob("*.safetensors"))
    weights.write_bytes(weights.read_bytes()[:50])  # a truncated download
    return root


@pytest.fixture(autouse=True)
def isolated_env(assets_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("NOISESCOPE_ASSETS", str(assets_dir))
    monkeypatch.setenv("NOISESCOPE_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture(scope="session", autouse=True)
def no_real_settings(tmp_path_factory):
    """Even a default QSettings() in a test writes to a temp folder, never the person's."""
    from PySide6.QtCore import QSettings

    folder = str(tmp_path_factory.mktemp("qsettings"))
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, folder)


@pytest.fixture(scope="session")
def event_loop_qt(qapp):
    import qasync

    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    yield loop
    asyncio.events._set_running_loop(None)


@pytest.fixture
def settings(tmp_path):
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def make_studio(qtbot, event_loop_qt, settings):
    """Build (and later close) studios; each waits until its catalog has arrived."""
    from gui.app import build_studio

    made = []

    def make(settings_=None):
        studio = build_studio(settings_ or settings)
        qtbot.addWidget(studio.window)
        studio.window.show()
        studio.start()
        qtbot.waitUntil(lambda: bool(studio.view_model.form.models), timeout=30_000)
        status = studio.view_model.status  # the first model loaded: no load in flight when a test closes early
        qtbot.waitUntil(lambda: status.loaded_model is not None or status.error is not None, timeout=30_000)
        made.append(studio)
        return studio

    yield make
    for studio in made:
        studio.close()
        # A model load cannot be interrupted, so close() may leave the worker to finish one (a test that
        # changed the model just before it ended, on a busy machine); it must still end on its own.
        qtbot.waitUntil(lambda adapter=studio.adapter: not adapter.worker_alive, timeout=30_000)


@pytest.fixture
def studio(make_studio):
    return make_studio()
