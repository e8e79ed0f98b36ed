"""The agent's configuration models, one module per concern."""
