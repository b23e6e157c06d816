"""The torch-free core: `import engine` (and everything the window needs before a run) works with
torch, diffusers and transformers unavailable, and the import-linter contract holds."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

BLOCKED_IMPORT = r"""
import importlib.abc, sys

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in ("torch", "diffusers", "transformers"):
            raise ImportError(f"{name} is blocked in this test")

sys.meta_path.insert(0, Block())

import engine
from engine import ErrorKind, Failed, Family, Outcome, Recipe, Started, errors, events, kinds
from engine.models import discover_models, find_model
from engine.models.catalog import Catalog
from engine.pipelines import known_pipelines
from engine.trajectory import Trajectory

problems = []
models = discover_models(problems=problems)
assert models and not problems, (models, problems)
info = find_model("digits-diffusion")
assert info.family is Family.DIFFUSION and info.default_guidance == 3.0
assert Recipe(model=info.name).check_against_model(info).model == info.name
assert Trajectory().outcome == "running" and ErrorKind.MODEL_LOAD.exit_code == 2
assert "decoder" in known_pipelines()
loaded = sorted(m for m in ("torch", "diffusers", "transformers") if m in sys.modules)
assert not loaded, loaded
print("torch-free ok")
"""


def test_import_engine_works_with_torch_blocked():
    result = subprocess.run([sys.executable, "-c", BLOCKED_IMPORT], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr
    assert "torch-free ok" in result.stdout


def test_from_engine_import_run_is_the_function_whatever_was_imported_first():
    code = ("import engine.run as first_the_module\nfrom engine import run\nimport engine, sys\n"
            "assert callable(run) and run is sys.modules['engine.run'].run and engine.run is run\nprint('ok')")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr


def test_import_linter_contracts_hold():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint is None:
        pytest.skip("import-linter is not installed (pip install -e .[dev])")
    result = subprocess.run([lint], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "core never imports torch" in result.stdout and "0 broken" in result.stdout
