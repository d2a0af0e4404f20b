"""Issue 13, item 7: the interactive docs load nothing from the internet."""

from __future__ import annotations

import re

EXPECTED_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png"}


async def test_the_docs_page_uses_only_local_assets_that_answer(client):
    """/schema/swagger references scripts, styles and icon by local paths only, and each of
    them answers 200 with JavaScript, CSS or PNG: the page works without internet."""
    page = await client.get("/schema/swagger")
    assert page.status_code == 200
    html = page.text
    assert "http://" not in html.replace("http://testserver", "")
    assert "https://" not in html, "the docs page loads something from the internet"
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert len(assets) == 4, assets
    for url in assets:
        assert url.startswith("/schema/assets/"), url
        answer = await client.get(url)
        assert answer.status_code == 200, url
        wanted = EXPECTED_TYPES[url[url.rindex(".") :]]
        assert wanted in answer.headers["content-type"], (url, answer.headers["content-type"])
        assert len(answer.content) > 0
    bundle = await client.get("/schema/assets/swagger-ui-bundle.js")
    assert b"SwaggerUIBundle" in bundle.content


async def test_docs_assets_need_no_token_and_are_not_in_the_api_document(client):
    """The assets are open like the docs page, and not operations of the API's document."""
    document = (await client.get("/schema/openapi.json")).json()
    assert not [path for path in document["paths"] if path.startswith("/schema")]
    assert (await client.get("/schema/assets/swagger-ui.css")).status_code == 200
