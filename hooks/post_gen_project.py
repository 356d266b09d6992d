"""Remove the parts of the project that the answers left out."""

import shutil
from pathlib import Path

if "{{ cookiecutter.include_example_app }}" == "no":
    shutil.rmtree("documents")
    Path("tests/test_documents.py").unlink()

if "{{ cookiecutter.session_store }}" == "redis+db":  # those tests are of the Redis-only engine
    Path("tests/test_sessions.py").unlink()
