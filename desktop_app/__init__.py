"""Trading Dashboard: one desktop window over several brokers' accounts."""

__version__ = "0.1.0"
