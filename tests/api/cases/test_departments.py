"""The 承办部门 directory: the shipped file loads, and every kind of mistake an editor can make is named clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.cases.config import default_config, load_config
from api.cases.departments import DEFAULT_DEPARTMENTS_FILE, DepartmentFileError, load_directory

GOOD = "  - {code: env, name: 环保局, full_name: 示范区生态环境局, contact: 0000-1, categories: [other]}\n"


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "departments.yml"
    path.write_text(body, encoding="utf-8")
    return path


def test_the_shipped_directory_loads_with_the_shipped_categories() -> None:
    config = default_config()
    directory = config.departments
    assert len(directory.departments) >= 5
    codes = {c.code for c in config.categories}
    for dept in directory.departments:
        assert set(dept.categories) <= codes and dept.contact and dept.full_name
    # every case category has a department to go to when nothing else tells
    assert all(any(code in d.categories for d in directory.departments) for code in codes)


def test_find_by_code_name_full_name_or_alias_and_suggest() -> None:
    d = default_config().departments
    hr = d.find("human-resources")
    assert hr is not None and d.find("人社局") == hr and d.find(hr.full_name) == hr
    assert d.find("劳动人事争议仲裁院") == hr and d.find("nobody") is None and d.find(None) is None
    assert d.name_of("human-resources") == "人社局" and d.name_of("旧的自由文本") == "旧的自由文本"
    assert d.suggest(category="attitude", item_dept="人社局") == hr  # the item's own department first
    fallback = d.suggest(category="system-failure", item_dept="不存在的部门")
    assert fallback is not None and "system-failure" in fallback.categories


def test_items_name_their_departments_mostly_by_the_directory(cat: object) -> None:
    """The suggestion works for the items people ask about most: their `dept:` is a name or alias here."""
    from index.catalogue import Catalogue

    assert isinstance(cat, Catalogue)
    d = default_config().departments
    known = [i for i in cat.items.values() if d.find(i.dept) is not None]
    assert len(known) >= len(cat.items) // 2


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("departments: []\n", "at least one entry"),
        ("departments:\n  - {code: env, name: 环保局, contact: 0000-1}\n", "`full_name` is missing"),
        ("departments:\n  - {code: Env_1, name: 环保局, full_name: 局, contact: 1}\n", "kebab-case"),
        ("departments:\n" + GOOD + GOOD.replace("code: env", "code: env-2"), "already used by department 'env'"),
        ("departments:\n" + GOOD.replace("[other]", "[noise]"), "unknown case category noise"),
        ("departments:\n" + GOOD.replace("}", ", phone: 1}"), "unknown field(s) phone"),
        ("departments:\n" + GOOD.replace("[other]", "other"), "`categories` must be a list"),
        ("departments: [\n", "not valid YAML"),
    ],
)
def test_mistakes_are_named(tmp_path: Path, body: str, message: str) -> None:
    path = _write(tmp_path, body)
    with pytest.raises(DepartmentFileError, match=None) as err:
        load_directory(path, categories=["other"])
    assert message in str(err.value) and "departments" in str(err.value)


def test_a_missing_file_and_the_config_both_fail_loudly(tmp_path: Path) -> None:
    with pytest.raises(DepartmentFileError, match="file is missing"):
        load_directory(tmp_path / "nope.yml")
    cats = tmp_path / "cats.yml"
    cats.write_text("categories:\n  - {code: noise, name: 噪音扰民, sla_days: 2}\n", encoding="utf-8")
    with pytest.raises(DepartmentFileError, match="unknown case category"):
        load_config(cats, departments_file=DEFAULT_DEPARTMENTS_FILE)  # the shipped file names other categories
