"""Launching borderwatch: the ``borderwatch`` command, config files, logging, the embedded
broker, the demo orchestration, and the service files for production (mosquitto/, systemd/,
grafana/, influxdb/)."""
