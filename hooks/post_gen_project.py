"""Remove the example app when it is not wanted."""

import shutil
from pathlib import Path

if "{{ cookiecutter.include_example_app }}" == "no":
    shutil.rmtree("documents")
    Path("tests/test_documents.py").unlink()
