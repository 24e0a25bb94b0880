"""View-model tests drive a real Hub on the Capital.com simulator (see ``sandbox.py``)."""
