"""Alerts: rules match events (pure), grouping folds repeats into one alert (pure), the engine
stores and publishes them (shell)."""
