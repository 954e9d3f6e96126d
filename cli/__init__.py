"""The `memoria` command: services, serving, workers, ingestion, admin, evaluation, benchmarks.

Each module registers its subcommands (`register`) with a `run` function to call.
"""

from __future__ import annotations

import argparse
import sys

from cli import admin, backup, chat, mcp, measure, privacy, process, reindex
from configs import logs
from configs.settings import get_settings


def main(argv: list[str] | None = None) -> int:
    """Run the memoria command line."""
    parser = argparse.ArgumentParser(
        prog="memoria",
        description="memoria: a LangGraph agent that answers from a knowledge base and "
        "remembers its users. Settings come from the environment (see README).",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (process, chat, admin, privacy, backup, reindex, measure, mcp):
        module.register(sub)
    args = parser.parse_args(argv)
    if check := getattr(args, "check", None):
        check(parser, args)
    logs.configure(get_settings().memoria_log_format)
    try:
        return args.run(args)
    except ValueError as exc:
        sys.stderr.write(f"memoria {args.command}: {exc}\n")
        return 2
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
