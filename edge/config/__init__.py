"""Agent configuration models (pydantic, one model per concern, passed down by constructors)."""

from borderwatch.edge.config.agent import AgentConfig, load_agent_config

__all__ = ["AgentConfig", "load_agent_config"]
