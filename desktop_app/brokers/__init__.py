"""Broker adapters: one package per broker (client + service) and the registry."""
