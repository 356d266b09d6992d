"""The README's two commands work: the first generates a project and serves it, the second is the
one CI runs. The baked project's tests also start their own services when none are given."""

import os
import shutil
import signal
import subprocess
import time
import urllib.request

from tests.conftest import TEMPLATE, bake, free_port, run, tool_env


def readme_commands():
    text = (TEMPLATE / "README.md").read_text()
    block = text.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def test_the_readme_opens_with_two_commands_and_ci_runs_the_second():
    generate_and_run, test = readme_commands()
    assert "cookiecutter" in generate_and_run and generate_and_run.endswith("make dev")
    ci = (TEMPLATE / ".ci" / "run").read_text().splitlines()
    assert test in ci


def test_the_first_readme_command_generates_a_project_and_serves_it(tmp_path):
    template = tmp_path / "template"
    shutil.copytree(TEMPLATE, template, ignore=shutil.ignore_patterns(".venv", ".git", "*.egg-info", "__pycache__"))
    (tmp_path / "out").mkdir()
    port = free_port()
    env = tool_env(TMPDIR=str(tmp_path / "out"), PORT=str(port))
    for name in ("DJANGO_ENV", "DATABASE_URL", "REDIS_URL", "AWS_STORAGE_BUCKET_NAME"):
        env.pop(name, None)
    log = tmp_path / "dev.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            ["bash", "-c", readme_commands()[0]],
            cwd=template,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    page = response.read().decode()
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise AssertionError(f"make dev did not serve the home page:\n{log.read_text()[-5000:]}")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    assert "<h1>My Project</h1>" in page
    assert "NOT production-safe" in log.read_text()


def test_the_projects_tests_start_their_own_services_when_none_are_given(tmp_path):
    project = bake(tmp_path)
    env = tool_env(DATABASE_URL=None, REDIS_URL=None, AWS_S3_ENDPOINT_URL=None, AWS_STORAGE_BUCKET_NAME=None)
    tests = "tests/guarantees/test_backing_services.py tests/guarantees/test_health.py tests/test_documents.py"
    result = run(["make", "test", f"PYTEST_ARGS=-q -p no:cacheprovider {tests}"], project, env=env)
    assert " passed" in result.stdout.splitlines()[-1]
    assert "failed" not in result.stdout.splitlines()[-1]
