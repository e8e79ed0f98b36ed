"""Agent configuration models (pydantic, one model per concern, passed down by constructors)."""
