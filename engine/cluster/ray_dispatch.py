"""Recipes run on a RayPool's workers; each result comes back as it finishes, once.

Every worker has at most DEPTH calls outstanding, so the next recipe is already there when one
ends and no worker holds a long queue another could share; ray.wait hands back results in the
order they finish. Ray restarts a worker whose process dies and re-runs its unanswered calls
(ray_pool); a worker dead past its restarts has its calls sent to a live one. A recipe number
seen before is dropped: nothing comes back twice. Cancel, Ctrl-C or closing the generator
cancels what is outstanding and ends the workers (a running call cannot be interrupted otherwise).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any

from engine.cluster.ray_import import ClusterError
from engine.cluster.ray_pool import RayPool
from engine.events import Failed
from engine.recipe import Recipe
from engine.trajectory import Trajectory

DEPTH = 2  # calls outstanding per worker: one running, one waiting behind it
POLL_S = 0.2  # how often a cancel from another thread is noticed while recipes run


@dataclass(frozen=True)
class Arrival:
    number: int  # the recipe's index in the list given
    trajectory: Trajectory
    failed: Failed | None
    running: tuple[int, ...]  # recipes sent to a worker and not back yet
    waiting: tuple[int, ...]  # recipes not sent yet
    workers: int  # workers alive
    busy: tuple[int, ...] = ()  # the workers (by slot, from 0) with a recipe outstanding


def run_on_workers(pool: RayPool, recipes: Sequence[Recipe], cancel: threading.Event | None = None, *,
                   previews: bool = True) -> Generator[Arrival, None, None]:
    """Arrivals in the order recipes finish; returns early (nothing more) once `cancel` is set."""
    ray = pool.ray
    waiting: deque[int] = deque(range(len(recipes)))
    outstanding: dict[Any, tuple[int, int]] = {}  # ref -> (actor slot, recipe number)
    load = dict.fromkeys(range(len(pool.start_workers())), 0)  # actor slot -> calls outstanding
    dead: set[int] = set()
    arrived: set[int] = set()
    finished = False
    try:
        while waiting or outstanding:
            for slot in load:
                while slot not in dead and load[slot] < DEPTH and waiting:
                    number = waiting.popleft()
                    outstanding[pool.actors[slot].run_recipe.remote(recipes[number], previews)] = (slot, number)
                    load[slot] += 1
            ready, _ = ray.wait(list(outstanding), num_returns=1, timeout=POLL_S)
            if cancel is not None and cancel.is_set():
                return
            for ref in ready:
                slot, number = outstanding.pop(ref)
                load[slot] -= 1
                try:
                    trajectory, failed = ray.get(ref)
                except ray.exceptions.RayActorError:
                    dead.add(slot)  # restarts used up: its calls go to the workers still alive
                    if len(dead) == len(load):
                        raise ClusterError("every Ray worker died; see the Ray logs of the nodes") from None
                    waiting.appendleft(number)
                    continue
                if number in arrived:
                    continue
                arrived.add(number)
                yield Arrival(number, trajectory, failed, tuple(n for _, n in outstanding.values()), tuple(waiting),
                              len(load) - len(dead), tuple(sorted({s for s, _ in outstanding.values()})))
        finished = True
    finally:
        if not finished:
            pool.stop_workers(list(outstanding))
