"""Write the uv.lock of every combination of the prompts that change the baked project's dependencies.

    .venv/bin/python scripts/lock.py            # after changing a dependency in the template
    .venv/bin/python scripts/lock.py --upgrade  # every dependency to its newest admitted release

cookiecutter.json's `_locked_by` names those prompts. Each combination is baked, locked with `uv lock`
(starting from its current lock, so that only what changed moves, unless --upgrade), and stored as
templates/locks/<prompt>-<value>[_<prompt>-<value>...].lock with the project's own name and version
replaced by the template's, for the baked uv.lock to include. Needs uv and PyPI.
"""

import argparse
import itertools
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parent.parent
LOCKS = TEMPLATE / "templates" / "locks"
SLUG, VERSION = "lock_placeholder", "0.0.0"  # a name and version no dependency has
PROJECT_ENTRY = re.compile(rf'^name = "{SLUG.replace("_", "-")}"\nversion = "{re.escape(VERSION)}"$', re.MULTILINE)
TEMPLATED_ENTRY = (
    "name = \"{{ cookiecutter.project_slug|replace('_', '-') }}\"\nversion = \"{{ cookiecutter.version }}\""
)


def combinations():
    """Each combination of the _locked_by prompts' values, as {prompt: value}."""
    prompts = json.loads((TEMPLATE / "cookiecutter.json").read_text())
    names = prompts["_locked_by"]
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*(prompts[n] for n in names))]


def lock_name(answers):
    return "_".join(f"{prompt}-{value}" for prompt, value in answers.items()) + ".lock"


def lock(answers, upgrade, workdir):
    project = Path(
        cookiecutter(
            str(TEMPLATE),
            no_input=True,
            output_dir=str(workdir),
            extra_context={**answers, "project_slug": SLUG, "version": VERSION},
        )
    )
    current = project / "uv.lock"
    if not current.read_text().strip():  # a new combination: resolved from scratch
        current.unlink()
    command = ["uv", "lock", "--quiet", *(["--upgrade"] if upgrade else [])]
    subprocess.run(command, cwd=project, env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"}, check=True)
    text, found = PROJECT_ENTRY.subn(TEMPLATED_ENTRY.replace("\\", "\\\\"), current.read_text())
    assert found == 1, f"the project's own entry is not where it was expected in {current}"
    assert "{{" not in text.replace(TEMPLATED_ENTRY, "") and "{%" not in text, "the lock holds Jinja syntax"
    (LOCKS / lock_name(answers)).write_text(text)
    return lock_name(answers)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--upgrade", action="store_true", help="every dependency to its newest admitted release")
    upgrade = parser.parse_args().upgrade
    LOCKS.mkdir(parents=True, exist_ok=True)
    wanted = {lock_name(answers) for answers in combinations()}
    with tempfile.TemporaryDirectory() as workdir:
        for index, answers in enumerate(combinations()):
            print(f"locked {lock(answers, upgrade, Path(workdir) / str(index))}", file=sys.stderr)
    for stale in {path.name for path in LOCKS.glob("*.lock")} - wanted:  # a prompt or value that is gone
        (LOCKS / stale).unlink()
        print(f"removed {stale}", file=sys.stderr)


if __name__ == "__main__":
    main()
