"""borderwatch hub: the coordination centre's ingest, store, fusion, alerts and API.

Kept import-light on purpose: agents import ``contract`` (pydantic only) and must not
pull in the hub's server dependencies.
"""
