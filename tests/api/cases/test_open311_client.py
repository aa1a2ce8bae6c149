"""An independent GeoReport v2 client from PyPI (`georeport`, requests + xmltodict) against a real server, in JSON
and XML: what a partner's integration sees. Reading requests needs our api_key (they carry a citizen's story), which
that client cannot send on a GET, so it gets the spec's 403."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from georeport import GeoReport

from api.main import create_app
from tests.support.app import live_server, make_settings

JURISDICTION = "shifanqu.example.gov.cn"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp: Path = tmp_path_factory.mktemp("open311")
    with live_server(create_app(make_settings(tmp, open311_jurisdiction_id=JURISDICTION))) as url:
        yield f"{url}/open311/v2"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_client_reads_the_service_list_and_a_definition(base: str, fmt: str) -> None:
    client = GeoReport(base, jurisdiction=JURISDICTION, output_format=fmt)
    services = client.get_service_list()
    codes = [s["service_code"] for s in services]
    assert "other" in codes and len(codes) == len(set(codes)) >= 3
    assert all(s["service_name"] for s in services)
    definition = client.get_service_definition("other")
    assert definition["service_code"] == "other"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_wrong_jurisdiction_and_a_keyless_read_get_the_spec_errors(base: str, fmt: str) -> None:
    with pytest.raises(requests.HTTPError) as wrong:
        GeoReport(base, jurisdiction="elsewhere.example", output_format=fmt).get_service_list()
    assert wrong.value.response is not None and wrong.value.response.status_code == 404
    with pytest.raises(requests.HTTPError) as keyless:
        GeoReport(base, jurisdiction=JURISDICTION, output_format=fmt).get_service_requests()
    assert keyless.value.response is not None and keyless.value.response.status_code == 403
