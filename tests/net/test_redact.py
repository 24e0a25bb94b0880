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
