"""index/paths.py is the one home of the paths, so no module of index/ imports another for one."""

from __future__ import annotations

import subprocess
import sys

import pytest

from index import paths
from tests.conftest import ROOT


@pytest.mark.parametrize(("module", "not_loaded"), [("index.embed", "index.model"), ("index.model", "index.embed")])
def test_embed_and_model_do_not_import_each_other(module: str, not_loaded: str) -> None:
    code = f"import sys, {module}; print({not_loaded!r} in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_paths_point_into_the_repository() -> None:
    assert paths.ROOT == ROOT
    assert paths.GUIDES_DIR.is_dir()
    assert paths.DICTIONARY_DIR.is_dir()
    assert paths.DEV_QUESTIONS.is_file()
    assert paths.CALIBRATION_FILE.is_file()
    assert paths.DEFAULT_MODEL_DIR.parent.parent == paths.ROOT / "var"
