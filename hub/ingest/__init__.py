"""Turning raw MQTT messages into validated contract objects, or dead letters with a reason."""
