import json

from desktop_app.net.redact import MASK, Redactor


def test_headers_and_fields_masked() -> None:
    r = Redactor()
    h = r.headers({"CST": "abc", "X-CAP-API-KEY": "key123", "Content-Type": "application/json"})
    assert h["CST"] == MASK and h["X-CAP-API-KEY"] == MASK
    assert h["Content-Type"] == "application/json"
    body = json.loads(
        r.body(json.dumps({"identifier": "trader@example.com", "password": "hunter22",
                           "accounts": [{"accountId": "123456789"}]}))
    )
    assert body["password"] == MASK
    assert body["identifier"].endswith(".com") and "trader" not in body["identifier"]
    assert body["accounts"][0]["accountId"] == MASK + "6789"


def test_literal_secrets_scrubbed_from_any_text() -> None:
    r = Redactor()
    r.add_secret("s3cr3t-token-value")
    assert "s3cr3t" not in r.body("error near s3cr3t-token-value in text")
    assert "s3cr3t" not in r.text("url?x=s3cr3t-token-value")


def test_a_long_list_is_logged_by_its_first_items_with_secrets_masked() -> None:
    r = Redactor()
    page = {"data": [{"password": f"pw{i}", "n": i} for i in range(1000)]}
    shown = r.body(json.dumps(page), limit=100_000)
    items = json.loads(shown)["data"]
    assert len(items) == 21 and items[-1] == "… 980 more"
    assert all(item["password"] == MASK for item in items[:20])
    assert "pw" not in shown
