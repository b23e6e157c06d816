"""The training loop every family shares: steps with a progress bar, sample grids, checkpoints, export.

A trainer (DiffusionTrainer, VAETrainer, GANTrainer) owns its models and optimizers and offers
train_step() (its losses as 0-d tensors, read once per log window), state_dict()/load_state_dict(),
export_module() and export_config() (and may offer export_extras(): more tensors for the weights
file, and records for config["training"]); this loop owns time, files and the random number
generator that every random draw of training uses.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import torch
from tqdm import tqdm

from engine.atomic import explain_os_error
from engine.errors import ExportError, NoisescopeError
from engine.memory import is_out_of_memory
from engine.models.bundled_writer import save_bundled
from engine.training.checkpoint import load_checkpoint, restore_rng, save_checkpoint
from engine.training.grid import save_grid
from engine.training.loss_log import LossLog, loss_curve
from engine.training.sampling import per_label_grid

T = TypeVar("T")


@dataclass
class Run:
    name: str
    steps: int
    out: Path  # the bundled model folder written at the end (and at each sample grid)
    checkpoint_dir: Path
    sample_every: int = 1000
    checkpoint_every_s: float = 180.0
    settings: dict[str, Any] = field(default_factory=dict)  # recorded in checkpoint and model card
    metadata: dict[str, Any] = field(default_factory=dict)  # description, data, licence for config.json
    progress: bool = True
    device: str = "cpu"
    stop_after_s: float | None = None  # this invocation's wall-time budget (--minutes): stop early, export


def resume(trainer, generator: torch.Generator, path: Path) -> float:
    """Load a checkpoint into trainer and generator; returns the training time it had already taken."""
    state = load_checkpoint(path)
    if state["family"] != trainer.family:
        raise ValueError(f"{path} is a {state['family']} checkpoint, not {trainer.family}")
    trainer.load_state_dict(state["trainer"])
    restore_rng(state, generator)
    return float(state["elapsed_s"])


def loss_log_path(run: Run) -> Path:
    return run.checkpoint_dir / f"{run.name}-losses.csv"


def checkpoint_path(run: Run) -> Path:
    return run.checkpoint_dir / f"{run.name}-latest.pt"


def checkpoint(run: Run, trainer, generator: torch.Generator, elapsed_s: float) -> Path:
    return save_checkpoint(checkpoint_path(run), family=trainer.family, step=trainer.step, settings=run.settings,
                           trainer_state=trainer.state_dict(), generator=generator, elapsed_s=elapsed_s)


def export(run: Run, trainer, elapsed_s: float, folder: Path | None = None) -> Path:
    config = {
        "name": run.name, **trainer.export_config(), **run.metadata,
        "training": {"arguments": run.settings, "steps": trainer.step, "wall_time_s": round(elapsed_s, 1),
                     "device": run.device, "torch": torch.__version__},
    }
    curve = loss_curve(loss_log_path(run))  # the model carries its own curve, for its card
    if curve:
        config["training"]["loss_curve"] = curve
    # More than the module (a VAE's fitted latent prior): tensors for the weights file and how they were made.
    extras = getattr(trainer, "export_extras", None)
    tensors, records = extras() if extras is not None else ({}, {})
    config["training"].update(records)
    return save_bundled(folder or run.out, config, trainer.export_module(), half=True, extra=tensors)


def sample_grid(run: Run, trainer, folder: Path) -> Path:
    config = trainer.export_config()
    images = per_label_grid(folder, config["family"], config.get("labels"), steps=20)
    return save_grid(images, run.checkpoint_dir / f"{run.name}-step{trainer.step:06d}.png")


class MidRunWrites:
    """Files written while training runs (checkpoints, the model, its grids, the loss log). A disk that
    fills up, or a folder that turns read-only, is said once per file and training goes on: every file
    is written whole or not at all (engine/atomic.py), so the last one written stays usable, and the
    run's end writes them again, failing with the same clear message if it still cannot."""

    def __init__(self, bar: tqdm):
        self.bar = bar
        self.said: set[str] = set()

    def attempt(self, what: str, target: Path, write: Callable[[], T]) -> T | None:
        try:
            return write()
        except ExportError as exc:
            message = exc.message
        except OSError as exc:
            message = explain_os_error(exc, target)
        if what not in self.said:
            self.said.add(what)
            self.bar.write(f"{what} not written: {message}; training goes on (the last one written stays whole)",
                           file=sys.stderr)
        return None


def export_after_out_of_memory(run: Run, trainer, elapsed_s: float) -> None:
    """A step ran out of memory: the model as of the last whole step is exported, so that a smaller
    batch can start from it (--init; a --resume run would keep the batch that did not fit). Best
    effort: the out-of-memory error is what the caller reports."""
    from engine.run import release_memory

    release_memory()
    with contextlib.suppress(RuntimeError, NoisescopeError):
        export(run, trainer, elapsed_s)


def train(run: Run, trainer, generator: torch.Generator, elapsed_s: float = 0.0,
          stop_requested: Callable[[], bool] = lambda: False) -> Path:
    """Train to run.steps, or until run.stop_after_s has passed or stop_requested() says so (a signal,
    engine/training/stop_signal.py); in every case end with a checkpoint and the exported model.
    Mid-run writes that fail are said and skipped (MidRunWrites); the final ones raise ExportError."""
    run.checkpoint_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic() - elapsed_s
    last_checkpoint = time.monotonic()
    bar = tqdm(total=run.steps, initial=trainer.step, disable=not run.progress, dynamic_ncols=True,
               desc=f"train {trainer.family}", mininterval=2.0)
    writes = MidRunWrites(bar)
    log = LossLog(loss_log_path(run))
    deadline = None if run.stop_after_s is None else time.monotonic() + run.stop_after_s
    while (trainer.step < run.steps and (deadline is None or time.monotonic() < deadline)
           and not stop_requested()):
        try:
            losses = trainer.train_step()
        except RuntimeError as exc:
            if is_out_of_memory(exc):
                export_after_out_of_memory(run, trainer, time.monotonic() - started)
            raise
        means = writes.attempt("the loss log", log.path,
                               partial(log.add, trainer.step, losses, time.monotonic() - started))
        bar.update(1)
        if means is not None:  # the window's means: reading a loss every step would wait on the GPU
            bar.set_postfix({k: f"{v:.4f}" for k, v in means.items()}, refresh=False)
        if run.sample_every and trainer.step % run.sample_every == 0 and trainer.step < run.steps:
            writes.attempt("the checkpoint", checkpoint_path(run),
                           lambda: checkpoint(run, trainer, generator, time.monotonic() - started))
            last_checkpoint = time.monotonic()
            if writes.attempt("the model", run.out, lambda: export(run, trainer, time.monotonic() - started)):
                grid = writes.attempt("the sample grid", run.checkpoint_dir, lambda: sample_grid(run, trainer, run.out))
                bar.write(f"step {trainer.step}: exported {run.out}" + (f", samples {grid}" if grid else ""))
        elif time.monotonic() - last_checkpoint > run.checkpoint_every_s:
            writes.attempt("the checkpoint", checkpoint_path(run),
                           lambda: checkpoint(run, trainer, generator, time.monotonic() - started))
            last_checkpoint = time.monotonic()  # a failed one too: tried again after checkpoint_every_s
    bar.close()
    elapsed_s = time.monotonic() - started
    checkpoint(run, trainer, generator, elapsed_s)
    folder = export(run, trainer, elapsed_s)
    if run.sample_every:
        sample_grid(run, trainer, folder)
    return folder
