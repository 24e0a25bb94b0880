"""View-models: QObject state and Qt item models over the session hub (no widgets)."""
