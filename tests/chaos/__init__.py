"""Chaos-test helpers: a partitionable TCP proxy, simulated agents (also in subprocesses) and the
exactly-once verdict. Brokers, stores, builders and waits are in ``tests/support``."""
