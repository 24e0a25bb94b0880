"""Built-in broker simulators (the Sandbox): a shared market and one ASGI app per broker.

Simulators import the domain only; the app reaches them over loopback HTTP through the
same adapters a real account uses.
"""
