"""What every borderwatch process needs to run, owned by neither edge nor hub.

Config-file loading and its errors, signal handling, logging with one redaction, and the MQTT
session settings both links connect with. It imports no sensor, store or rule: edge, hub and
simulators import it, never the reverse.
"""
