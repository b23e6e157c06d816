"""Shared fixtures: an isolated user data folder for every test, and tiny models of every kind."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tests import factories

torch.set_num_threads(max(1, min(2, torch.get_num_threads())))


@pytest.fixture(autouse=True)
def isolated_user_data(tmp_path, monkeypatch):
    """No test reads or writes the real user's models, history or pictures."""
    monkeypatch.setenv("NOISESCOPE_DATA_DIR", str(tmp_path / "user-data"))
    return tmp_path / "user-data"


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("tiny-models")
    return {
        "diffusion": factories.tiny_diffusion(folder),
        "unconditional": factories.tiny_diffusion(folder, name="tiny-unconditional", labels=False),
        "vae": factories.tiny_vae(folder),
        "gan": factories.tiny_gan(folder),
        "diffusers": factories.tiny_diffusers_folder(folder),
    }
