"""The engine imports and runs with Qt absent, and an import-linter contract keeps it so."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

BLOCK_QT_AND_RUN = """
import sys
class BlockQt:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('PySide6', 'shiboken6', 'qasync', 'gui'):
            raise ImportError(name + ' is blocked: the engine must not need it')
sys.meta_path.insert(0, BlockQt())
from engine import Recipe, run
from engine.cli.main import main
events = list(run(Recipe(model=sys.argv[1], steps=2, device='cpu')))
assert type(events[-1]).__name__ == 'Finished', events[-1]
assert main(['samplers']) == 0
assert not any(m.split('.')[0] in ('PySide6', 'shiboken6', 'qasync') for m in sys.modules)
print('engine ran without Qt')
"""


def test_engine_runs_with_pyside6_unavailable(tiny_models):
    result = subprocess.run([sys.executable, "-c", BLOCK_QT_AND_RUN, str(tiny_models["diffusion"])],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "engine ran without Qt" in result.stdout


def test_import_linter_contract_holds():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint, "import-linter is a dev dependency: pip install -e .[dev]"
    result = subprocess.run([lint, "--no-cache"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "The engine never imports Qt or the GUI KEPT" in result.stdout
