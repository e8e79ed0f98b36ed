"""Hub configuration models (pydantic, one model per concern, passed down by constructors)."""

from borderwatch.hub.config.hub import ApiConfig, HubConfig, load_hub_config

__all__ = ["ApiConfig", "HubConfig", "load_hub_config"]
