"""Chaos-test helpers: a real Mosquitto under test control, a partitionable TCP proxy, agents in
subprocesses, and synthetic contract events."""
