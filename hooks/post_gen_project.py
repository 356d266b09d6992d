"""Remove the parts of the project that the answers left out."""

import shutil
from pathlib import Path

if "{{ cookiecutter.include_example_app }}" == "no":
    shutil.rmtree("documents")
    Path("tests/test_documents.py").unlink()
