"""`--ray [ADDRESS]` and `--ray-workers N`: the flags of the commands that can run on a Ray cluster."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from engine.cli.common import UsageError

LOCAL = "local"  # --ray with no address: start Ray on this machine


def add_ray_options(parser) -> None:
    parser.add_argument("--ray", nargs="?", const=LOCAL, default=None, metavar="ADDRESS",
                        help="run on Ray: alone, a local Ray started on this machine; or join a cluster "
                             "(auto, or ray://host:port). Needs the cluster extra: pip install -e \".[cluster]\"")
    parser.add_argument("--ray-workers", type=int, default=None, metavar="N",
                        help="Ray workers (one model each): default one per GPU, else one per core")


@contextlib.contextmanager
def ray_pool_from_args(args) -> Iterator[Any]:
    """The RayPool the flags ask for (None without --ray), closed (Ray stopped if we started it) on exit."""
    if args.ray is None:
        if args.ray_workers is not None:
            raise UsageError("--ray-workers needs --ray")
        yield None
        return
    from engine.cluster.ray_import import ClusterError
    from engine.cluster.ray_pool import RayPool

    try:
        pool = RayPool(None if args.ray == LOCAL else args.ray, args.ray_workers, list(getattr(args, "model_paths", [])))
    except ClusterError as exc:
        raise UsageError(exc.message) from None
    with pool:
        yield pool
