"""Delivery guarantees on the hub side: the per-agent sequence ledger (duplicates, gaps, replay
requests, confirmations, counters) and its persistence."""
