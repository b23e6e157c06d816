"""`train --resume` with a bad or hostile file is one message, never a traceback and never code run."""

from __future__ import annotations

import pickle

import pytest
import torch

from engine.cli.main import main
from engine.training.vae import DEFAULTS


class Exploit:
    """Would create a file if it were ever unpickled with code allowed."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _complete(**changes):
    state = {"version": 1, "family": "vae", "step": 0, "settings": {**DEFAULTS, "steps": 1, "batch": 2, "seed": 0},
             "trainer": {}, "generator": torch.Generator().get_state(), "torch_rng": torch.get_rng_state(),
             "elapsed_s": 0.0}
    return {**state, **changes}


def _resume(path, tmp_path, capsys):
    code = main(["train", "vae", "--resume", str(path), "--export-only", "--limit", "8", "--quiet",
                 "--out", str(tmp_path / "out"), "--checkpoint-dir", str(tmp_path / "ckpt"), "--device", "cpu"])
    return code, capsys.readouterr().err


def test_a_truncated_checkpoint(tmp_path, capsys):
    path = tmp_path / "cut.pt"
    torch.save(_complete(), path)
    path.write_bytes(path.read_bytes()[:300])
    code, err = _resume(path, tmp_path, capsys)
    assert code == 2 and "not a readable training checkpoint" in err and "Traceback" not in err


def test_a_checkpoint_that_needs_code_is_refused_and_never_run(tmp_path, capsys):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    with open(path, "wb") as handle:
        pickle.dump({"version": 1, "payload": Exploit(str(marker))}, handle)
    torch.save({"version": 1, "payload": Exploit(str(marker))}, tmp_path / "evil-zip.pt")
    for file in (path, tmp_path / "evil-zip.pt"):
        code, err = _resume(file, tmp_path, capsys)
        assert code == 2 and "refused" in err and "Traceback" not in err and "\x1b" not in err
        assert "open" in err and "weights_only" not in err
    assert not marker.exists()


@pytest.mark.parametrize(("state", "says"), [
    ({"version": 1}, "'family' is missing"),
    (_complete(step="zero"), "'step' has the wrong type"),
    (_complete(settings={**DEFAULTS, "steps": 1, "batch": 2, "seed": 0, "widths": [10**6]}), "widths"),
    (_complete(settings={**DEFAULTS, "steps": 1, "batch": "big", "seed": 0}), "batch"),
    (_complete(settings={**DEFAULTS, "steps": 1, "batch": 2, "seed": 0, "name": "../../outside"}), "name must be"),
    (_complete(settings={**DEFAULTS, "steps": 1, "batch": 2, "seed": 0, "name": 7}), "name must be"),
    (_complete(settings={**DEFAULTS, "steps": 1, "batch": 2, "seed": 0, "sampling_defaults": {"pipeline": "x"}}),
     "sampling_defaults may hold default_guidance and default_guide only"),
    (_complete(trainer={"model": {"nonsense": torch.zeros(2)}}), "does not fit a vae trainer"),
    (_complete(generator=torch.zeros(3)), "does not fit a vae trainer"),
])
def test_wrong_keys_and_types_are_messages(tmp_path, capsys, state, says):
    path = tmp_path / "wrong.pt"
    torch.save(state, path)
    code, err = _resume(path, tmp_path, capsys)
    assert code == 2 and says in err and "Traceback" not in err, err
