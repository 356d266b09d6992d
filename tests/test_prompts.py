"""A bad answer to a prompt stops the bake with one line naming the field, the value and the rule,
and leaves nothing behind."""

import json
import re
import subprocess
import tomllib

import pytest
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

from tests.conftest import TEMPLATE, bake, run, tool_env

HOOK = TEMPLATE / "hooks" / "pre_gen_project.py"

BAD_ANSWERS = {
    "slug starting with a digit": ("project_slug", "1abc"),
    "slug with a dash": ("project_slug", "my-proj"),
    "slug with a space and capitals": ("project_slug", "My Proj"),
    "slug that is a keyword": ("project_slug", "class"),
    "slug that shadows django": ("project_slug", "django"),
    "slug that shadows the standard library's test": ("project_slug", "test"),
    "slug that shadows the standard library's email": ("project_slug", "email"),
    "slug that shadows the settings package": ("project_slug", "config"),
    "slug that shadows redis": ("project_slug", "redis"),
    "slug that shadows csp, of django-csp": ("project_slug", "csp"),
    "slug that takes the place of six, which python-dateutil needs": ("project_slug", "six"),
    "empty slug": ("project_slug", ""),
    "slug of 200 characters": ("project_slug", "a" * 200),
    "non-ASCII slug": ("project_slug", "café"),
    "malformed email": ("email", "not-an-email"),
    "email without a domain": ("email", "me@"),
    "domain with a scheme": ("domain_name", "https://example.com"),
    "domain without a dot": ("domain_name", "localhost"),
    "unknown time zone": ("time_zone", "Mars/Olympus"),
    "version that is no version": ("version", "one"),
    "project name with a quote": ("project_name", 'My "Project"'),
}


def cookiecutter_cli(output_dir, **answers):
    context = [f"{field}={value}" for field, value in answers.items()]
    command = ["cookiecutter", "--no-input", "-o", str(output_dir), str(TEMPLATE), *context]
    return subprocess.run(command, env=tool_env(), capture_output=True, text=True)


@pytest.mark.parametrize(("field", "value"), BAD_ANSWERS.values(), ids=BAD_ANSWERS.keys())
def test_a_bad_answer_is_refused_by_name_and_leaves_nothing(tmp_path, field, value):
    result = cookiecutter_cli(tmp_path / "out", **{field: value})
    assert result.returncode != 0
    assert f"error: {field}={value!r} " in result.stderr, result.stderr
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_an_empty_slug_never_writes_into_an_existing_folder(tmp_path):
    # As `cookiecutter <template>` in the current folder does. cookiecutter checks the project's folder
    # before any hook runs, and an empty slug named the output folder itself, which exists: its own
    # "already exists" error did not name the field. The folder's name falls back to a placeholder.
    (tmp_path / "keep.txt").write_text("mine")
    result = cookiecutter_cli(tmp_path, project_slug="")
    assert result.returncode != 0
    assert "error: project_slug='' must be a lowercase Python identifier" in result.stderr, result.stderr
    assert [path.name for path in tmp_path.iterdir()] == ["keep.txt"]


@pytest.mark.parametrize(("field", "value"), [("include_example_app", "maybe"), ("session_store", "memcached")])
def test_a_choice_outside_its_options_is_refused_by_cookiecutter(tmp_path, field, value):
    result = cookiecutter_cli(tmp_path, **{field: value})
    assert result.returncode != 0
    assert field in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_every_bad_answer_is_reported_at_once(tmp_path):
    result = cookiecutter_cli(tmp_path, project_slug="1abc", email="nope", time_zone="Nowhere")
    assert result.returncode != 0
    for field in ("project_slug", "email", "time_zone"):
        assert f"error: {field}=" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_good_answers_bake(tmp_path):
    result = cookiecutter_cli(tmp_path, project_name="Shop Front", email="ops@shop.example.org", version="1.2.0rc1")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "shop_front" / "manage.py").exists()


NAMES_OF_THE_ENVIRONMENT = """
import importlib.metadata as metadata, json, re
names = {re.sub(r"[-_.]+", "_", dist.metadata["Name"]).lower() for dist in metadata.distributions()}
names |= {module.lower() for module in metadata.packages_distributions()}
print(json.dumps(sorted(names)))
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A baked project with its virtual environment installed (`make install`: dependencies, dev extra), with
    the answers that install the most: the worker's."""
    path = bake(tmp_path_factory.mktemp("installed"), worker="celery")
    run(["make", "install"], path)
    return path


def names_a_project_has(project, workdir):
    """Every distribution in its environment, by name (_ for - and .) and by top-level import name, and
    its own top-level modules and folders: the names that fit a slug, but its own."""
    command = [str(project / ".venv" / "bin" / "python"), "-c", NAMES_OF_THE_ENVIRONMENT]
    names = set(json.loads(run(command, workdir).stdout))  # not run in the project: its folder stays off sys.path
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    requirements = [*pyproject["project"]["dependencies"], *pyproject["project"]["optional-dependencies"]["dev"]]
    direct = {re.sub(r"[-_.]+", "_", re.match(r"[A-Za-z0-9._-]+", line)[0]).lower() for line in requirements}
    assert direct <= names, "a dependency is not installed: this environment would prove nothing"
    names |= {path.stem for path in project.iterdir() if path.is_dir() or path.suffix == ".py"}
    return {name for name in names if re.fullmatch(r"[a-z][a-z0-9_]*", name) and "__" not in name} - {project.name}


def test_the_hook_refuses_every_name_the_project_installs_or_has(installed, tmp_path, capfd):
    names = names_a_project_has(installed, tmp_path)
    assert {"django", "csp", "six", "config"} <= names  # what the computation must find
    accepted = []
    for name in sorted(names):
        try:
            cookiecutter(str(TEMPLATE), no_input=True, extra_context={"project_slug": name}, output_dir=str(tmp_path))
        except FailedHookException:
            if f"error: project_slug={name!r} " in capfd.readouterr().err:
                continue
        accepted.append(name)
    assert accepted == [], (
        f"accepted as slugs; add them to INSTALLED_NAMES in {HOOK.relative_to(TEMPLATE)}: {accepted}"
    )
