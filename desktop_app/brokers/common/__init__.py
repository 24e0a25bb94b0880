"""What every broker package shares: its spec, the service base, lost-reply reconciliation."""
