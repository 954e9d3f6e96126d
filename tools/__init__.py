"""Tools the agent may call, scoped by the same identity as everything else."""

from tools.memory_tools import build_tools

__all__ = ["build_tools"]
