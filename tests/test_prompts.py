"""A bad answer to a prompt stops the bake with one line naming the field, the value and the rule,
and leaves nothing behind."""

import subprocess

import pytest

from tests.conftest import TEMPLATE, tool_env

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
    # cookiecutter itself refuses: the project folder would be the output folder.
    (tmp_path / "keep.txt").write_text("mine")
    result = cookiecutter_cli(tmp_path, project_slug="")
    assert result.returncode != 0
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
