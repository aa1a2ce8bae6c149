"""Where index/ finds its files: one small module every other one imports, so none imports another for a path."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent
SHARED = ROOT.parent / "shared"

GUIDES_DIR = ROOT / "guides"
CUES_FILE = GUIDES_DIR / "cues.yml"
ASKED_FILE = GUIDES_DIR / "asked.yml"
DICTIONARY_DIR = ROOT / "dictionary"
REQUIRED_FILE = SHARED / "catalogue" / "required.yml"
EVAL_REAL = SHARED / "eval" / "real"
DEV_QUESTIONS = ROOT / "tests" / "data" / "dev_questions.jsonl"

CALIBRATION_FILE = PACKAGE / "calibration.json"
DECISION_FILE = PACKAGE / "decision.json"

DEFAULT_MODEL_DIR = ROOT / "var" / "models" / "multilingual-e5-small"
DEFAULT_INDEX_DIR = ROOT / "var" / "index"
