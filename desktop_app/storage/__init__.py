"""Settings file, secrets in the OS keyring, and the SQLite journal (no Qt, no network)."""
