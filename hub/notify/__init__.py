"""Notifications of alert changes to the outside: retained MQTT state, webhooks, CAP 1.2 XML."""
