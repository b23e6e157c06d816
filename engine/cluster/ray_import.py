"""The one place that imports Ray: it is an optional extra, so its absence is a message, not a traceback."""

from __future__ import annotations

from types import ModuleType

from engine.errors import NoisescopeError

INSTALL_HINT = 'pip install -e ".[cluster]" in the Noisescope folder (or pip install "ray>=2.9,<3")'


class ClusterError(NoisescopeError):
    """Ray is missing, the cluster cannot be reached, or every worker died."""


def require_ray() -> ModuleType:
    """The ray module; ClusterError saying how to install it when it is not."""
    try:
        import ray
    except ImportError:
        raise ClusterError(f"--ray needs Ray, which is not installed: {INSTALL_HINT}") from None
    return ray
