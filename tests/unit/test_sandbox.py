"""Reading in a budgeted child: a child does not run the caller's script again."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from configs.settings import REPO_ROOT

# A script that reads three files through the sandbox and counts, in a file, how many
# processes ran its top level: only its own should (each child doing it again cost a
# `memoria ingest` ~0.2 s per file, and a script that loads models ~2 s).
SCRIPT = """
import asyncio, os, sys
with open(sys.argv[1], "a") as runs:
    runs.write(f"{os.getpid()}\\n")

from knowledge.reading import read_file
from knowledge.sandbox import Budget, Sandbox

async def main() -> None:
    sandbox = Sandbox(slots=1)
    for n in range(3):
        prepared = await read_file(sandbox, Budget(), f"page{n}.md", b"# Page\\n\\nSome words.")
        assert prepared.chunks, prepared
    print("read 3")

if __name__ == "__main__":
    asyncio.run(main())
"""


@pytest.mark.process
def test_children_do_not_run_the_callers_script_again(tmp_path: Path) -> None:
    script = tmp_path / "ingest_script.py"
    script.write_text(textwrap.dedent(SCRIPT))
    runs = tmp_path / "runs"

    done = subprocess.run(
        [sys.executable, str(script), str(runs)],
        cwd=REPO_ROOT,
        env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    assert "read 3" in done.stdout
    assert len(runs.read_text().split()) == 1, runs.read_text()
