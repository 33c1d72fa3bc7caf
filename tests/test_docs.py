import re

from flask.testing import FlaskClient


def test_openapi_document_is_3_1_and_lists_every_route(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    paths = set(spec["paths"])
    assert {
        "/api/v1/articles",
        "/api/v1/articles/{article_id}",
        "/api/v1/articles/{article_id}/fact-checks",
        "/api/v1/articles/{article_id}/claimreview",
        "/api/v1/fact-checks",
        "/api/v1/fact-checks/{fact_check_id}",
        "/api/v1/fact-checks/{fact_check_id}/publish",
        "/api/v1/fact-checks/{fact_check_id}/retract",
        "/api/v1/fact-checks/{fact_check_id}/revisions",
        "/api/v1/fact-checks/{fact_check_id}/claimreview",
        "/api/v1/organizations/{slug}",
    } <= paths


def test_bounds_appear_in_the_spec(client: FlaskClient) -> None:
    schemas = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    assert schemas["FactCheck"]["properties"]["claimReviewed"]["maxLength"] == 500
    assert schemas["FactCheck"]["properties"]["evidence"]["maxItems"] == 50


def test_docs_page_loads_only_local_assets(client: FlaskClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, "the page references its scripts and styles"
    for asset in assets:
        assert asset.startswith("/"), f"{asset} would need the network"
        response = client.get(asset)
        response.close()  # static files are streamed; close them so no file handle leaks
        assert response.status_code == 200, asset
