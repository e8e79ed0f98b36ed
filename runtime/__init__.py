"""What every borderwatch process needs to run, owned by neither edge nor hub.

Config-file loading and its errors (configfile), signal handling (signals), logging (logs) with
one credential redaction (redact), broker and session settings (broker) and the MQTT session both
links open (mqtt), SQLite connection set-up (sqlite), which hosts are this machine (hosts), and
the earth radius with the local east/north frame (geo). It imports no sensor, store or rule: edge,
hub and simulators import it, never the reverse.
"""
