"""Open311 GeoReport v2 as the spec has it: every endpoint in .json and .xml (services/service,
service_requests/request, errors/error), api_key from the form or the query string, jurisdiction_id checked, and
unknown formats and routes answered in the spec's error list. XML is parsed with defusedxml, as a partner would."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import pytest
from defusedxml import ElementTree as SafeET
from fastapi.testclient import TestClient

from tests.support.app import OPEN311_KEY, gateway_client, make_settings

JURISDICTION = "zhengzhou.example.gov.cn"
BASE = "/open311/v2"
FORM = {"service_code": "system-failure", "description": "自助机无法打印", "phone": "13900001111"}
REQUEST_FIELDS = [
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url",
]  # fmt: skip


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = make_settings(tmp_path, open311_jurisdiction_id=JURISDICTION)
    with gateway_client(settings) as c:
        yield c


def xml(resp: Any) -> Element:
    assert resp.headers["content-type"].startswith("application/xml"), resp.headers["content-type"]
    assert resp.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    root: Element = SafeET.fromstring(resp.content)
    return root


def errors_of(resp: Any) -> list[dict[str, str]]:
    """The spec's error list, from either format."""
    if resp.headers["content-type"].startswith("application/xml"):
        root = xml(resp)
        assert root.tag == "errors" and all(e.tag == "error" for e in root)
        return [{"code": e.findtext("code") or "", "description": e.findtext("description") or ""} for e in root]
    body = resp.json()
    assert isinstance(body, list) and all(set(e) == {"code", "description"} for e in body)
    return [{"code": str(e["code"]), "description": e["description"]} for e in body]


def file_one(client: TestClient, fmt: str = "json", **extra: str) -> Any:
    return client.post(f"{BASE}/requests.{fmt}", data={**FORM, "api_key": OPEN311_KEY, **extra})


def test_services_in_both_formats_say_the_same(client: TestClient) -> None:
    as_json = client.get(f"{BASE}/services.json").json()
    root = xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services" and [s.tag for s in root] == ["service"] * len(as_json)
    for entry, element in zip(as_json, root, strict=True):
        assert [c.tag for c in element] == list(entry)
        assert element.findtext("service_code") == entry["service_code"]
        assert element.findtext("service_name") == entry["service_name"]
        assert element.findtext("metadata") == "false" and element.findtext("type") == "realtime"
    definition = xml(client.get(f"{BASE}/services/other.xml"))
    assert definition.tag == "service_definition" and definition.findtext("service_code") == "other"
    attributes = definition.find("attributes")
    assert attributes is not None and list(attributes) == []
    missing = client.get(f"{BASE}/services/nope.xml")
    assert missing.status_code == 404 and errors_of(missing) == [
        {"code": "404", "description": "service_code not found"}
    ]


def test_file_and_read_back_in_xml(client: TestClient) -> None:
    created = xml(file_one(client, "xml", lat="34.75", long="113.62", address_string="郑州市政务服务中心"))
    assert created.tag == "service_requests" and [r.tag for r in created] == ["request"]
    rid = created[0].findtext("service_request_id") or ""
    assert rid.startswith("YS") and "前答复" in (created[0].findtext("service_notice") or "")
    assert created[0].find("account_id") is not None

    one = xml(client.get(f"{BASE}/requests/{rid}.xml", params={"api_key": OPEN311_KEY}))
    request = one.find("request")
    assert one.tag == "service_requests" and request is not None
    assert [c.tag for c in request] == REQUEST_FIELDS
    assert request.findtext("status") == "open" and request.findtext("lat") == "34.75"
    assert (request.findtext("expected_datetime") or "").endswith("T23:59:59+08:00")
    assert request.findtext("media_url") == ""  # null is an empty element
    as_json = client.get(f"{BASE}/requests/{rid}.json", params={"api_key": OPEN311_KEY}).json()[0]
    assert request.findtext("description") == as_json["description"] == "自助机无法打印"

    listed = xml(client.get(f"{BASE}/requests.xml", params={"api_key": OPEN311_KEY, "service_request_id": rid}))
    assert [r.findtext("service_request_id") for r in listed] == [rid]
    empty = xml(client.get(f"{BASE}/requests.xml", params={"api_key": OPEN311_KEY, "status": "closed"}))
    assert empty.tag == "service_requests" and list(empty) == []


def test_user_text_never_becomes_markup(client: TestClient) -> None:
    """Escaped by ElementTree; characters XML cannot carry at all are dropped, so the document stays well formed."""
    story = '</description><evil x="1"/>]]><![CDATA[ & 窗口\x01不受理\x0b'
    rid = file_one(client, address_string="<address>文化路 & 12号</address>").json()[0]["service_request_id"]
    resp = client.get(f"{BASE}/requests/{rid}.xml", params={"api_key": OPEN311_KEY})
    assert b"<evil" not in resp.content
    client.post(f"{BASE}/requests.json", data={**FORM, "description": story, "api_key": OPEN311_KEY})
    listed = xml(client.get(f"{BASE}/requests.xml", params={"api_key": OPEN311_KEY}))
    descriptions = [r.findtext("description") for r in listed]
    assert '</description><evil x="1"/>]]><![CDATA[ & 窗口不受理' in descriptions
    assert all(r.find("evil") is None for r in listed)
    assert "<address>文化路 & 12号</address>" in [r.findtext("address") for r in listed]


def test_api_key_from_the_form_or_the_query_string(client: TestClient) -> None:
    in_form = client.post(f"{BASE}/requests.json", data={**FORM, "api_key": OPEN311_KEY})
    in_query = client.post(f"{BASE}/requests.json", params={"api_key": OPEN311_KEY}, data=FORM)
    assert in_form.status_code == in_query.status_code == 200
    assert in_form.json()[0]["service_request_id"] != in_query.json()[0]["service_request_id"]
    for resp in (
        client.post(f"{BASE}/requests.json", data=FORM),
        client.post(f"{BASE}/requests.xml", params={"api_key": "wrong"}, data=FORM),
        client.get(f"{BASE}/requests.xml"),
        client.get(f"{BASE}/requests/YS20000101-000001.xml", params={"api_key": "wrong"}),
    ):
        assert resp.status_code == 403 and errors_of(resp) == [{"code": "403", "description": "invalid api_key"}]


def test_jurisdiction_id_is_checked_against_the_configured_one(client: TestClient) -> None:
    ours = {"jurisdiction_id": JURISDICTION}
    assert client.get(f"{BASE}/services.json", params=ours).status_code == 200
    assert client.get(f"{BASE}/services.json").status_code == 200  # one jurisdiction: it may be left out
    assert file_one(client, **ours).status_code == 200  # in the form
    in_query = client.post(f"{BASE}/requests.xml", params={**ours, "api_key": OPEN311_KEY}, data=FORM)
    assert in_query.status_code == 200
    rid = xml(in_query)[0].findtext("service_request_id")
    key = {"api_key": OPEN311_KEY}
    assert client.get(f"{BASE}/requests/{rid}.json", params={**ours, **key}).status_code == 200

    other = {"jurisdiction_id": "elsewhere.gov.cn"}
    for resp in (
        client.get(f"{BASE}/services.json", params=other),
        client.get(f"{BASE}/services.xml", params=other),
        client.get(f"{BASE}/services/other.xml", params=other),
        file_one(client, **other),
        client.get(f"{BASE}/requests.xml", params={**other, **key}),
        client.get(f"{BASE}/requests/{rid}.json", params={**other, **key}),
    ):
        assert resp.status_code == 404
        assert errors_of(resp) == [{"code": "404", "description": "jurisdiction_id not found"}]


def test_without_a_configured_jurisdiction_only_leaving_it_out_works(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with gateway_client(settings) as c:
        assert c.get(f"{BASE}/services.json").status_code == 200
        assert c.get(f"{BASE}/services.json", params={"jurisdiction_id": "anything"}).status_code == 404


def test_unknown_formats_and_routes_answer_in_the_spec_error_list(client: TestClient) -> None:
    for path in ("/services.yaml", "/services/other.html", "/requests/YS20000101-000001.csv"):
        resp = client.get(BASE + path, params={"api_key": OPEN311_KEY})
        assert resp.status_code == 400, path
        assert errors_of(resp)[0]["code"] == "400" and "format not supported" in errors_of(resp)[0]["description"]
    assert client.post(f"{BASE}/requests.txt", data={**FORM, "api_key": OPEN311_KEY}).status_code == 400

    unknown_xml = client.get(f"{BASE}/tokens/abc.xml")
    assert unknown_xml.status_code == 404 and errors_of(unknown_xml)[0]["code"] == "404"
    assert client.get("/open311/v3/services.json").status_code == 404
    as_json = client.get(f"{BASE}/discovery")
    assert as_json.headers["content-type"].startswith("application/json") and errors_of(as_json)[0]["code"] == "404"
    asks_xml = client.get(f"{BASE}/nothing-here", headers={"Accept": "application/xml"})
    assert errors_of(asks_xml)[0]["code"] == "404"

    wrong_method = client.delete(f"{BASE}/requests.xml")
    assert wrong_method.status_code == 405 and set(wrong_method.headers["allow"].split(", ")) == {"GET", "POST"}
    assert errors_of(wrong_method)[0]["code"] == "405"


def test_bad_parameters_are_400_in_the_format_asked(client: TestClient) -> None:
    bad_lat = file_one(client, "xml", lat="north")
    assert bad_lat.status_code == 400 and errors_of(bad_lat) == [
        {"code": "400", "description": "invalid parameter: lat"}
    ]
    bad_phone = file_one(client, "xml", phone="123")
    assert bad_phone.status_code == 400 and "phone" in errors_of(bad_phone)[0]["description"]
    unknown_code = file_one(client, "xml", service_code="nope")
    assert unknown_code.status_code == 400 and errors_of(unknown_code)[0]["description"] == "service_code not found"
