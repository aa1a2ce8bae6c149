"""The guide pages at /guides/{id}: an alias entry's id (same_as) is a permanent move to its item's page."""

from __future__ import annotations

from pathlib import Path

from tests.support.app import gateway_client, make_settings


def test_an_alias_id_moves_permanently_to_the_item_page(tmp_path: Path) -> None:
    with gateway_client(make_settings(tmp_path)) as c:
        moved = c.get("/guides/new-car-registration", follow_redirects=False)
        printed = c.get("/guides/new-car-registration?print=1", follow_redirects=False)
        followed = c.get("/guides/new-car-registration")
        unknown = c.get("/guides/no-such-guide", follow_redirects=False)
    assert moved.status_code == 301 and moved.headers["location"] == "/guides/vehicle-registration"
    assert printed.status_code == 301 and printed.headers["location"] == "/guides/vehicle-registration?print=1"
    assert followed.status_code == 200 and str(followed.url).endswith("/guides/vehicle-registration")
    assert "机动车注册登记（新车上牌）" in followed.text and 'href="/guides/yjs-new-car"' in followed.text
    assert unknown.status_code == 404
