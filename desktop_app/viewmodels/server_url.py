"""The "Advanced: server URL" of a connection: another host for a broker's API (a
standalone simulator, the broker's other environment). It must be a plain http(s) URL;
plain ``http://`` only to this computer, where nothing crosses a network: a password or
a token sent anywhere else goes over TLS."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

LOOPBACK_NAMES = ("localhost", "localhost.localdomain")


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_error(text: str, example: str = "") -> str:
    """What is wrong with ``text`` as a server URL ('' when fine or empty: the default)."""
    text = text.strip()
    if not text:
        return ""
    eg = f" (e.g. {example})" if example else ""
    if any(c.isspace() for c in text):
        return "The server URL cannot hold spaces."
    parsed = urlsplit(text)
    if parsed.scheme.lower() not in ("http", "https") or not parsed.hostname:
        return f"The server URL must start with https:// and name a host{eg}."
    if parsed.username is not None or parsed.password is not None:
        return ("The server URL cannot carry a user name or password: they go in the "
                "fields above (and to the keyring).")
    if parsed.query or parsed.fragment:
        return "The server URL cannot have a ? query or a # part."
    try:
        port = parsed.port
    except ValueError:
        port = 0
    if port == 0:
        return "The server URL's port must be a number from 1 to 65535."
    if parsed.scheme.lower() == "http" and not is_loopback(parsed.hostname):
        return (f"http:// is allowed only for this computer (localhost, 127.0.0.1, ::1); "
                f"{parsed.hostname} must use https://.")
    return ""


def normalized(text: str) -> str | None:
    """The URL as stored (no trailing slash), None for the broker's own host."""
    text = text.strip().rstrip("/")
    return text or None
