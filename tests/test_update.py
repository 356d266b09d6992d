"""The update path: a project made with `cruft create` from one commit of the template takes a later
commit with `cruft update`, on a real git history of both.

The template is copied into a git repository of its own and committed; a project is created from that
commit (without the example app, which the post-generation hook removes) and committed, then changed
as a team would change it. The template then changes in three ways, in a second commit: a file the
team never touched, a line the team changed too, and a new prompt with a default; it also changes the
example app, which this project does not have. `cruft update`, without questions, must apply the first,
report the second as a conflict, give the new prompt its default, and leave the example app out, as
the hook did when the project was created.
"""

import json
import shutil
import subprocess

from tests.conftest import TEMPLATE, TOOLS, tool_env

SLUG_FOLDER = "{{cookiecutter.project_slug or 'project_slug-is-empty'}}"
NOT_TEMPLATE = shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info", ".pytest_cache", ".ruff_cache")
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Template Tests",
    "GIT_AUTHOR_EMAIL": "tests@example.com",
    "GIT_COMMITTER_NAME": "Template Tests",
    "GIT_COMMITTER_EMAIL": "tests@example.com",
}


def git(cwd, *args):
    return subprocess.run(
        ["git", *args], cwd=cwd, env=tool_env(**GIT_IDENTITY), capture_output=True, text=True, check=True
    ).stdout.strip()


def commit_all(cwd, message):
    git(cwd, "add", "--all")
    git(cwd, "commit", "--quiet", "--message", message)
    return git(cwd, "rev-parse", "HEAD")


def cruft(cwd, *args):
    return subprocess.run(
        [f"{TOOLS}/cruft", *args], cwd=cwd, env=tool_env(**GIT_IDENTITY), capture_output=True, text=True, timeout=300
    )


def edit(path, old, new):
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} is not once in {path}"
    path.write_text(text.replace(old, new))


def test_cruft_update_applies_the_templates_changes_reports_conflicts_and_defaults_new_prompts(tmp_path):
    template = tmp_path / "template"
    shutil.copytree(TEMPLATE, template, ignore=NOT_TEMPLATE)
    git(template, "init", "--quiet", "--initial-branch", "main")
    first = commit_all(template, "The template as it is")

    created = cruft(
        tmp_path,
        "create",
        str(template),
        "--checkout",
        first,
        "--no-input",
        "--output-dir",
        "projects",
        "--extra-context",
        json.dumps({"include_example_app": "no"}),
    )
    assert created.returncode == 0, created.stdout + created.stderr
    project = tmp_path / "projects" / "my_project"
    assert not (project / "documents").exists()
    git(project, "init", "--quiet", "--initial-branch", "main")
    commit_all(project, "Created with cruft")

    # The team's changes: a setting the template will change too, and a file of their own.
    edit(project / "gunicorn.conf.py", "keepalive = 5 ", "keepalive = 75 ")
    (project / "NOTES.md").write_text("# Notes of the team\n")
    commit_all(project, "Keep connections open longer than our balancer does")

    # The template's changes.
    folder = template / SLUG_FOLDER
    edit(folder / ".dockerignore", "\n.pre-commit-config.yaml\n", "\n.pre-commit-config.yaml\n*.log\n")
    edit(folder / "gunicorn.conf.py", "keepalive = 5 ", "keepalive = 10 ")
    edit(template / "cookiecutter.json", '"time_zone": "UTC",', '"time_zone": "UTC",\n  "team": "platform",')
    description = "{{ cookiecutter.description }}\n"
    edit(folder / "README.md", description, f"{description}\nTeam: {{{{ cookiecutter.team }}}}.\n")
    edit(folder / "documents/views.py", '"""Upload files', '"""Upload and list files')
    second = commit_all(template, "A later template: one untouched change, one conflicting, a new prompt")

    updated = cruft(project, "update", "--skip-apply-ask")
    output = updated.stdout + updated.stderr
    print(output)

    state = json.loads((project / ".cruft.json").read_text())
    assert state["commit"] == second
    assert state["context"]["cookiecutter"]["team"] == "platform"  # the new prompt, with its default
    assert "\nTeam: platform.\n" in (project / "README.md").read_text()
    assert (project / ".dockerignore").read_text().endswith(".pre-commit-config.yaml\n*.log\n")  # applied
    # The conflict: reported by git's three-way merge, both sides kept for the team to choose.
    assert "with conflicts" in output, output
    assert git(project, "diff", "--name-only", "--diff-filter=U") == "gunicorn.conf.py"
    conflicted = (project / "gunicorn.conf.py").read_text()
    assert "<<<<<<<" in conflicted
    assert "keepalive = 75 " in conflicted
    assert "keepalive = 10 " in conflicted
    assert (project / "NOTES.md").exists()
    # The post-generation hook ran on both sides of the update, as on creation: still no example app.
    assert not (project / "documents").exists()
    assert not list(project.rglob("*.rej"))
