"""What a connection is made of: a profile (settings file) plus secrets (keyring)."""

from __future__ import annotations

from dataclasses import dataclass, field

from desktop_app.domain.types import Environment


@dataclass(frozen=True, slots=True)
class CredentialField:
    """One input of a broker's login form. ``secret`` ones go to the keyring only."""

    name: str
    label: str
    secret: bool
    placeholder: str = ""
    optional: bool = False
    # A yes/no option (shown as a checkbox); its value is "true" or "false".
    flag: bool = False
    # A private key (PEM): pasted as text or read from a file the trader picks; always
    # a secret (the keyring holds the PEM text, never a path).
    private_key: bool = False


@dataclass(frozen=True, slots=True)
class ConnectionProfile:
    """A saved connection, minus its secrets. Safe to write to the settings file."""

    connection_id: str
    broker: str
    name: str
    environment: Environment = Environment.DEMO
    # Non-secret credential fields (e.g. Capital.com "identifier", the login e-mail).
    fields: dict[str, str] = field(default_factory=dict)
    # Set for the Sandbox: the simulator's base URL replaces the broker's own.
    base_url: str | None = None
    # Live trading needs this explicit opt-in; every live order is also confirmed.
    live_opt_in: bool = False
    sandbox: bool = False

    @property
    def is_live(self) -> bool:
        return self.environment is Environment.LIVE


Credentials = dict[str, str]
