"""Alerts: rules match events (pure), fusion merges sensors' evidence (pure), the lifecycle
moves alerts pending -> firing -> acknowledged -> resolved (pure); the engine is the shell that
stores them (behind the AlertStore protocol) and calls watchers and notifiers on every change."""
