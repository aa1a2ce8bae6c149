"""GET /api/guides/{id}: the guide JSON the bot reads, serialised from the one guide view (api/guides/view.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

from index import catalogue
from index.schema import Item
from tests.support.app import gateway_client, make_settings


def test_item_guide_has_its_window(tmp_path: Path) -> None:
    with gateway_client(make_settings(tmp_path)) as c:
        r = c.get("/api/guides/ss-card-replace")
    body = r.json()
    assert r.status_code == 200 and body["kind"] == "item"
    assert body["window_info"]["id"] == "w-social-insurance"
    assert body["materials"][0]["note"]


def test_bundle_guide_has_merged_checklist_and_window_lists_what_it_handles(tmp_path: Path) -> None:
    with gateway_client(make_settings(tmp_path)) as c:
        b = c.get("/api/guides/yjs-newborn").json()
        w = c.get("/api/guides/w-police").json()
        missing = c.get("/api/guides/no-such-thing")
        item = c.get("/api/guides/marriage-registration").json()
    lines = [(m["name"], m["of"]) for m in b["merged_materials"]]
    assert len(lines) == len(set(lines)) <= 10 and set(b["member_names"]) == set(b["members"])
    assert ("居民身份证", "父母双方") in lines
    assert all({"optional_when", "data_shared", "where_to_get", "example"} <= set(m) for m in b["merged_materials"])
    assert "行政复议" in b["remedy_text"] and b["phones"]["supervise"]
    assert item["rejections"] and item["visits"] == 1 and all(m["where_to_get"] for m in item["materials"])
    assert item["phones"]["consult"] == item["phone"] and "行政复议" in item["remedy_text"]
    assert {"id": "passport", "name": "普通护照签发"} in w["handles"]
    assert missing.status_code == 404 and "没有找到" in missing.json()["detail"]


def test_an_alias_id_answers_with_the_item_it_names(tmp_path: Path) -> None:
    """new-car-registration is an alias entry (same_as) of vehicle-registration: the bot's client follows no
    redirects, so the JSON is the canonical entry, its own id included, and the bundle names that id."""
    with gateway_client(make_settings(tmp_path)) as c:
        alias = c.get("/api/guides/new-car-registration", follow_redirects=False)
        canonical = c.get("/api/guides/vehicle-registration").json()
        bundle = c.get("/api/guides/yjs-new-car").json()
    assert alias.status_code == 200 and alias.json() == canonical
    assert canonical["id"] == "vehicle-registration" and canonical["kind"] == "item"
    assert "yjs-new-car" in canonical["bundles"] and "vehicle-registration" in bundle["member_names"]


def test_the_json_is_the_guide_file_plus_what_the_view_adds(tmp_path: Path) -> None:
    """Every field of the guide file as it is, the window's own file as `window_info`, the merged lines with the
    ids that ask for them, and no remedy or phones on a window."""
    cat = catalogue.load()
    with gateway_client(make_settings(tmp_path)) as c:
        item = c.get("/api/guides/ss-card-replace").json()
        bundle = c.get("/api/guides/yjs-newborn").json()
        window = c.get("/api/guides/w-police").json()
    source = cat.items["ss-card-replace"]
    assert item == {
        "kind": "item",
        **source.model_dump(mode="json"),
        "window_info": cat.windows[source.window].model_dump(mode="json"),
        "remedy_text": source.remedy or cat.site.remedy,
        "phones": {"consult": source.phone or cat.site.phones.consult, "supervise": cat.site.phones.supervise},
    }
    merged = cat.merged_materials("yjs-newborn")
    assert [m["needed_for"] for m in bundle["merged_materials"]] == [list(m.needed_for) for m in merged]
    assert [m["form"] for m in bundle["merged_materials"]] == [m.form.value for m in merged]
    assert bundle["member_names"] == {m: cat.items[m].name for m in cat.bundles["yjs-newborn"].members}
    assert "remedy_text" not in window and "phones" not in window and "window_info" not in window
    assert window["bundles"] == [{"id": b.id, "name": b.name} for b in cat.bundles_at_window("w-police")]
    assert all(isinstance(cat.get(h["id"]), Item) for h in window["handles"])


def test_a_swapped_in_catalogue_is_served_from_its_own_view(tmp_path: Path) -> None:
    """The index reloader replaces `state.catalogue` with a new object: the next request shows the new guides."""
    guides = tmp_path / "guides"
    shutil.copytree(Path(__file__).resolve().parents[3] / "guides", guides)
    with gateway_client(make_settings(tmp_path)) as c:
        before = c.get("/api/guides/ss-card-replace").json()
        path = guides / "items" / "ss-card-replace.yml"
        text = path.read_text(encoding="utf-8")
        assert f"time_limit: {before['time_limit']}" in text
        path.write_text(text.replace(f"time_limit: {before['time_limit']}", "time_limit: 当场办好（改过）"), "utf-8")
        c.app.state.app.catalogue = catalogue.load(guides)  # type: ignore[attr-defined]
        after = c.get("/api/guides/ss-card-replace").json()
    assert before["time_limit"] != after["time_limit"] == "当场办好（改过）"
