"""Imported only by the sandbox's fork server, once: children then skip the parent's script.

A child of multiprocessing's fork server first runs the parent's main script again (as
`__mp_main__`), unless the fork server's own `__main__` claims to be that script. The fork
server was meant to load it once for all children (`'__main__'` in its preload list), but on
Python 3.11 it never does (the parent sends `init_main_from_path`, the fork server looks for
`main_path`), so every child paid the script's imports again: ~0.2 s for the `memoria`
command, ~2 s for a script that imports the models, per document read. The parent names its
script in `SANDBOX_MAIN` (knowledge.sandbox); this module makes the fork server's `__main__`
answer to that name. Functions sent to a child must then live in modules, not in the script.
"""

from __future__ import annotations

import os
import sys

SANDBOX_MAIN = "MEMORIA_SANDBOX_MAIN"

if main_path := os.environ.get(SANDBOX_MAIN):
    sys.modules["__main__"].__file__ = main_path
