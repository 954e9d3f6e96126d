"""Every module behind a `memoria` command imports: a command is only run by hand, so a name
one change renamed and another still imports would otherwise surface as a user's traceback."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import benchmarks
import cli
import evals

PACKAGES = (benchmarks, cli, evals)
MODULES = sorted(
    info.name
    for package in PACKAGES
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}.")
)


@pytest.mark.parametrize("name", MODULES)
def test_command_module_imports(name):
    importlib.import_module(name)
