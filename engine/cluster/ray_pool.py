"""A set of RecipeWorker actors on Ray: a local Ray started here, or an existing cluster joined.

No address: start Ray on this machine with `workers` CPU slots (or its GPUs), as the tests do;
an address (`auto`, `ray://host:port`, `host:port`) joins a running cluster. One actor per
worker, `num_gpus=1` each when the cluster has GPUs. Ray itself restarts an actor whose process
dies (max_restarts) and re-runs the calls it had not answered (max_task_retries), so a lost
worker costs its cells' time, not its cells. Ray is shut down on close only if we started it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.cluster.ray_import import ClusterError, require_ray
from engine.cluster.ray_worker import RecipeWorker
from engine.threads import usable_cores

RESTARTS = 3  # per actor: a worker that keeps dying is a broken node, reported rather than retried forever


class RayPool:
    def __init__(self, address: str | None = None, workers: int | None = None,
                 extra_model_paths: list[Path] | None = None) -> None:
        self.ray: Any = require_ray()
        self.started = False
        if workers is not None and workers < 1:
            raise ClusterError(f"--ray-workers must be 1 or more, not {workers}")
        if not self.ray.is_initialized():
            self._connect(address, workers)
        _messages_to_stderr(self.ray)
        resources = self.ray.cluster_resources()
        self.gpus = int(resources.get("GPU", 0))
        cpus = int(resources.get("CPU", 1))
        if self.gpus and workers is not None and workers > self.gpus:
            raise ClusterError(f"the cluster has {self.gpus} GPU(s): ask for at most {self.gpus} workers, "
                               f"one per GPU, not {workers}")
        self.workers = workers or self.gpus or min(cpus, usable_cores())
        # A local Ray shares this machine's cores between its workers; a cluster's nodes say theirs
        # through OMP_NUM_THREADS, which Ray sets for each actor.
        self._threads = max(1, usable_cores() // self.workers) if self.started and not self.gpus else None
        self._paths = [Path(path).absolute() for path in (extra_model_paths or [])]
        self.actors: list[Any] = []

    def _connect(self, address: str | None, workers: int | None) -> None:
        options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                   "logging_level": logging.WARNING}
        if address is None:
            options["num_cpus"] = max(workers or usable_cores(), 1)
        try:
            self.ray.init(address=address, **options)
        except (ConnectionError, RuntimeError, ValueError, OSError) as exc:
            where = f"the Ray cluster at {address}" if address else "a local Ray"
            raise ClusterError(f"cannot start or reach {where}: {exc}. Start one with `ray start --head` "
                               "and pass its address, or leave the address out for a local Ray") from None
        self.started = address is None

    def start_workers(self) -> list[Any]:
        """The actors, made now if none are running (each loads its model on its first cell)."""
        if not self.actors:
            resources = {"num_gpus": 1, "num_cpus": 0} if self.gpus else {"num_cpus": 1}
            actor_class = self.ray.remote(max_restarts=RESTARTS, max_task_retries=RESTARTS, **resources)(RecipeWorker)
            self.actors = [actor_class.remote(self._paths, self._threads) for _ in range(self.workers)]
        return self.actors

    def stop_workers(self, refs: Sequence[Any] = ()) -> None:
        """Cancel calls not started, and end the actors (a running cell is not interruptible otherwise)."""
        for ref in refs:
            with contextlib.suppress(Exception):  # already finished or already gone: nothing to stop
                self.ray.cancel(ref)
        for actor in self.actors:
            self.ray.kill(actor, no_restart=True)
        self.actors = []

    def close(self) -> None:
        self.stop_workers()
        if self.started and self.ray.is_initialized():
            self.ray.shutdown()
            self.started = False

    def __enter__(self) -> RayPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _messages_to_stderr(ray: Any) -> None:
    """Ray prints the cluster's error notes ("task failed, will be retried") on the driver's stdout,
    where they would break `--json`; send them to stderr with the rest of the progress. A Ray
    without this (private) hook keeps its own behaviour."""
    worker: Any = getattr(getattr(ray, "_private", None), "worker", None)
    original = getattr(worker, "print_to_stdstream", None)
    if original is None or getattr(original, "to_stderr", False):
        return

    def to_stderr(data: dict[str, Any], ignore_prefix: bool) -> None:
        original({**data, "is_err": True}, ignore_prefix)

    to_stderr.to_stderr = True  # type: ignore[attr-defined]
    worker.print_to_stdstream = to_stderr
