"""How many CPU threads torch gets: one function for the command line and the window.

torch's default is one thread per core. On a machine that is busy with other work, OpenMP threads
wait (spinning) for siblings the OS has descheduled: 20 steps of batch 8 took 70 s with 2 threads
against 10 s with 1 on a loaded 2-core machine (issue 12). So take the cores that are idle now (the
load average tells how many are busy), leave one for the GUI thread when there is a window, and
respect OMP_NUM_THREADS when the person set it. Torch-free until apply_threads runs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask, e.g. in a container), else all of them."""
    affinity = getattr(os, "sched_getaffinity", None)
    if affinity is not None:
        try:
            return max(1, len(affinity(0)))
        except OSError:
            pass
    return max(1, os.cpu_count() or 1)


def busy_cores() -> float | None:
    """Runnable work on the machine over the last minute; None where the OS does not say (Windows)."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def choose_threads(gui: bool, cores: int | None = None, load: float | None = None,
                   environ: Mapping[str, str] | None = None) -> int:
    """The thread count for torch: OMP_NUM_THREADS if set, else the idle cores, one fewer with a GUI."""
    environ = os.environ if environ is None else environ
    asked = environ.get("OMP_NUM_THREADS", "").strip()
    if asked.isdigit() and int(asked) > 0:
        return int(asked)
    cores = cores or usable_cores()
    wanted = cores - 1 if gui and cores > 1 else cores
    if load is not None:
        wanted = min(wanted, round(cores - load))  # cores already busy would make our threads wait
    return max(1, wanted)


def apply_threads(gui: bool) -> int:
    """Set torch's thread count as choose_threads says (reading the load now); returns it."""
    import torch

    count = choose_threads(gui, load=busy_cores())
    torch.set_num_threads(count)
    return count
