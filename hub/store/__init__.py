"""Where the hub keeps what it accepted: events and telemetry (time series), dead letters."""
