"""The operators' HTTP API: one FastAPI router per resource, typed responses."""
