"""Baking: every variant renders completely, offline, with no secret in it."""

import filecmp
import re
import subprocess

import pytest

from tests.conftest import TEMPLATE, VARIANTS, bake, tool_env

TEMPLATE_SYNTAX = ("{{", "{%", "cookiecutter.")


def files(root):
    return sorted(path for path in root.rglob("*") if path.is_file() and ".venv" not in path.parts)


@pytest.mark.parametrize("variant", VARIANTS)
def test_no_template_syntax_survives_a_bake(tmp_path, variant):
    root = bake(tmp_path, **VARIANTS[variant])
    for path in files(root):
        text = path.read_text()
        if ".github" in path.relative_to(root).parts:
            text = text.replace("${{", "$")  # GitHub Actions expressions, kept by {% raw %} on purpose
        # Django templates use {{ }} and {% %} themselves; cookiecutter's names must still be gone.
        leftovers = ("cookiecutter.",) if path.suffix == ".html" else TEMPLATE_SYNTAX
        for syntax in leftovers:
            assert syntax not in text, f"{syntax} left in {path.relative_to(root)}"


def test_the_example_app_is_baked_only_when_asked_for(tmp_path):
    with_app = bake(tmp_path / "with")
    without = bake(tmp_path / "without", include_example_app="no")
    assert (with_app / "documents" / "models.py").exists()
    assert (with_app / "tests" / "test_documents.py").exists()
    assert not (without / "documents").exists()
    assert not (without / "tests" / "test_documents.py").exists()
    for path in files(without):
        assert "documents" not in path.read_text(), path


def test_without_a_worker_nothing_of_celery_is_baked(tmp_path):
    with_worker = bake(tmp_path / "with", worker="celery")
    without = bake(tmp_path / "without")
    assert "worker:" in (with_worker / "Procfile").read_text()
    for path in files(without):
        assert not re.search("celery|kombu", path.read_text(), re.IGNORECASE), path.relative_to(without)


def test_baking_writes_no_secret_the_same_answers_give_the_same_files(tmp_path):
    first, second = bake(tmp_path / "first"), bake(tmp_path / "second")
    names = [path.relative_to(first) for path in files(first)]
    assert names == [path.relative_to(second) for path in files(second)]
    _, mismatch, errors = filecmp.cmpfiles(first, second, names, shallow=False)
    assert mismatch == errors == []
    assert not list(first.glob(".env"))


def test_baking_works_without_a_network(tmp_path):
    result = subprocess.run(
        ["unshare", "--map-root-user", "--net", "cookiecutter", "--no-input", "-o", str(tmp_path), str(TEMPLATE)],
        env=tool_env(),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "my_project" / "manage.py").exists()


def test_the_slug_is_derived_from_the_project_name(tmp_path):
    root = bake(tmp_path, project_name="Ünïcode Shop-Front", time_zone="Europe/Paris")
    assert root.name == "unicode_shop_front"
    assert 'TIME_ZONE = "Europe/Paris"' in (root / "config" / "settings.py").read_text()


def backticked(root, section, column=0):
    """The paths named in a column of the README section's table."""
    text = (root / "README.md").read_text().split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    cells = [row.split(" | ")[column] for row in text.splitlines() if row.startswith("| ") and "`" in row]
    return [path for cell in cells for path in re.findall(r"`([^`]+)`", cell)]


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_readme_layout_names_every_part_of_the_tree_and_config_holds_only_wiring(tmp_path, variant):
    root = bake(tmp_path, **VARIANTS[variant])
    listed = backticked(root, "Layout")
    assert [path for path in listed if not (root / path).exists()] == [], "named in the layout but not baked"
    parts = [path.name for path in root.iterdir() if path.name not in ("README.md", ".gitignore")]
    parts += [f"stateless/{path.name}" for path in (root / "stateless").iterdir() if path.name != "__init__.py"]
    unnamed = [part for part in parts if not any(part == path.rstrip("/") for path in listed)]
    unnamed = [part for part in unnamed if not any(path.startswith(f"{part}/") for path in listed)]
    assert unnamed == [], "baked but not named in the README's layout"
    celery = ["celery.py"] if VARIANTS[variant].get("worker") == "celery" else []
    assert sorted(path.name for path in (root / "config").iterdir()) == sorted(
        ["__init__.py", "asgi.py", *celery, "settings.py", "urls.py", "wsgi.py"]
    )
    proofs = set(backticked(root, "Tests", column=-1))
    guarantees = {f"tests/guarantees/{path.name}" for path in (root / "tests" / "guarantees").glob("test_*.py")}
    assert guarantees == proofs, "the README's table of guarantees and tests/guarantees disagree"
