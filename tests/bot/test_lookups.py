"""nlu_data/nlu/lookups.yml is generated from the guides and must not drift from them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _gen():
    spec = importlib.util.spec_from_file_location("gen_lookups", ROOT / "scripts" / "gen_lookups.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_lookups_file_is_up_to_date():
    gen = _gen()
    expected = gen.render(gen.build(gen.load_guides()))
    assert (ROOT / "nlu_data" / "nlu" / "lookups.yml").read_text(encoding="utf-8") == expected, (
        "run: .venv-rasa/bin/python scripts/gen_lookups.py"
    )


def test_synonyms_point_at_existing_guides_and_terms_are_unique():
    gen = _gen()
    ids = {doc["id"] for doc in gen.load_guides()}
    data = yaml.safe_load((ROOT / "nlu_data" / "nlu" / "lookups.yml").read_text(encoding="utf-8"))
    synonyms = [block for block in data["nlu"] if "synonym" in block]
    assert synonyms and {block["synonym"] for block in synonyms} <= ids
    terms = [line for block in synonyms for line in block["examples"].splitlines()]
    assert len(terms) == len(set(terms))  # a term shared by two guides maps to neither
