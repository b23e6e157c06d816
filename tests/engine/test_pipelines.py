"""run() picks the pipeline from the table by ModelInfo.pipeline, never by the model's class."""

from __future__ import annotations

import json
import shutil

import pytest

from engine import Recipe
from engine.errors import ModelLoadError
from engine.events import Finished, Started
from engine.pipelines import PIPELINE_MODULES, _pipelines, get_pipeline, register_pipeline
from tests.engine.helpers import events_of, failure_of


def _with_pipeline(tiny_models, tmp_path, key: str):
    folder = tmp_path / "model"
    shutil.copytree(tiny_models["gan"], folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "pipeline": key}))
    return folder


def test_an_unknown_pipeline_fails_clearly_before_loading(tiny_models, tmp_path):
    folder = _with_pipeline(tiny_models, tmp_path, "image-to-video")
    (folder / "model.safetensors").write_bytes(b"never read")  # proves nothing was loaded
    failure = failure_of(Recipe(model=str(folder), seed=1))
    assert failure.kind == "model_load"
    assert "pipeline 'image-to-video'" in failure.message and "tiny-gan" in failure.message
    assert "class-conditional-diffusion, decoder, text-to-image" in failure.message


def test_run_dispatches_through_the_table(tiny_models, tmp_path, monkeypatch):
    calls = []

    class Echo:
        key = "test-echo"

        def run(self, model, recipe, cancel, *, previews=True):
            calls.append((type(model).__name__, recipe.seed, previews))
            yield Started(recipe, 0, (8, 8, 1), "cpu", "float32", model.info.name)

    monkeypatch.setitem(_pipelines, "test-echo", Echo())
    folder = _with_pipeline(tiny_models, tmp_path, "test-echo")
    events = events_of(Recipe(model=str(folder), seed=5), previews=False)
    assert [type(e) for e in events] == [Started]
    assert calls == [("DecoderModel", 5, False)]


def test_builtin_pipelines_register_on_first_use():
    for key in PIPELINE_MODULES:
        assert get_pipeline(key).key == key
    with pytest.raises(ModelLoadError, match="known pipelines: class-conditional-diffusion, decoder"):
        get_pipeline("nope")


def test_a_pipeline_given_the_wrong_model_says_so(tiny_models, tmp_path):
    folder = tmp_path / "vae-as-diffusion"
    shutil.copytree(tiny_models["vae"], folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "pipeline": "class-conditional-diffusion"}))
    failure = failure_of(Recipe(model=str(folder)))
    assert failure.kind == "model_load" and "needs a DiffusionModel" in failure.message


def test_registering_replaces_by_key(monkeypatch):
    monkeypatch.setattr("engine.pipelines._pipelines", dict(_pipelines))
    marker = type("Marker", (), {"key": "decoder", "run": None})()
    register_pipeline(marker)
    assert get_pipeline("decoder") is marker


def test_the_digits_models_still_finish(tiny_models):
    for name in ("diffusion", "gan", "vae", "diffusers"):
        events = events_of(Recipe(model=str(tiny_models[name]), steps=2, seed=3))
        assert isinstance(events[0], Started) and isinstance(events[-1], Finished), name
