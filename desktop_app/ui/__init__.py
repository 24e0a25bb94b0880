"""Widgets, dialogs and the main window; they bind to view-models only."""
