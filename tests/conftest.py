"""Bake projects from the template and run their commands.

The baked projects' tests use real PostgreSQL, Redis and S3: DATABASE_URL and REDIS_URL from this
environment when set (each project gets its own database name), else services they start themselves.
"""

import os
import secrets
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cookiecutter.main import cookiecutter

from tests.variants import EACH_COMBINATION, RUNS

TEMPLATE = Path(__file__).resolve().parent.parent
TOOLS = str(Path(sys.executable).parent)  # cookiecutter and uv of this environment
VARIANTS = {run_id: RUNS[run_id].answers for run_id in EACH_COMBINATION}  # every combination of the choices


def bake(output_dir, **answers):
    return Path(cookiecutter(str(TEMPLATE), no_input=True, extra_context=answers, output_dir=str(output_dir)))


def tool_env(**overrides):
    path = f"{TOOLS}{os.pathsep}{os.environ['PATH']}"
    # uv installs on the Pythons of this machine, never on one it would download.
    env = {**os.environ, "PATH": path, "UV_PYTHON_DOWNLOADS": "never", **overrides}
    return {name: value for name, value in env.items() if value is not None}


def run(command, cwd, env=None, timeout=900):
    result = subprocess.run(
        command, cwd=cwd, env=env or tool_env(), capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{command} failed:\n{result.stdout[-6000:]}\n{result.stderr[-6000:]}"
    return result


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def own_database(name):
    """This environment's DATABASE_URL with a database name of the project's own, or None."""
    given = os.environ.get("DATABASE_URL")
    if not given:
        return None
    return urlsplit(given)._replace(path=f"/tpl_{name}_{secrets.token_hex(3)}").geturl()


def run_of(nodeid):
    """The run of tests/variants.py a test is parametrized with, if any: pytest joins ids with '-'."""
    params = nodeid[nodeid.find("[") + 1 : -1] if nodeid.endswith("]") else ""
    return next((run_id for run_id in RUNS if f"-{run_id}-" in f"-{params}-"), None)


def pytest_xdist_make_scheduler(config, log):
    """Every test of one run on the same xdist worker, which bakes and installs it once. (xdist's own
    loadgroup no longer groups anything with pytest 9, which computes node ids from their parts.)"""
    from xdist.scheduler import LoadScopeScheduling

    class OneWorkerPerRun(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return run_of(nodeid) or nodeid

    return OneWorkerPerRun(config, log)


@dataclass
class Project:
    path: Path
    variant: str  # a run of tests/variants.py: its answers and its Python
    answers: dict
    python: str

    @property
    def short_name(self):  # for database names: PostgreSQL's are at most 63 bytes
        return f"v{list(RUNS).index(self.variant)}"


@pytest.fixture(scope="session", params=EACH_COMBINATION)
def project(request, tmp_path_factory):
    """A baked project of each combination (or of the run a test asks for), installed from its lock on the
    run's Python. uv's cache makes every install after the first a matter of seconds."""
    answers, python = RUNS[request.param].answers, RUNS[request.param].python
    path = bake(tmp_path_factory.mktemp(f"v{list(RUNS).index(request.param)}"), **answers)
    run(["make", "install"], path, env=tool_env(UV_PYTHON=python))
    return Project(path, request.param, answers, python)
