"""Chaos-test helpers: a partitionable TCP proxy, simulated agents (also in subprocesses), synthetic
contract events and the exactly-once verdict. Brokers, stores and waits are in ``tests/support``."""
