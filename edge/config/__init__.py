"""Agent configuration models (pydantic, one model per concern, passed down by constructors).

The root, ``agent.AgentConfig``, gains one section per registered sensor kind; the settings every
kind shares live beside it (tracker, events, evidence, detector, rules), a kind's own settings in
its package (``edge/sensors/camera/config.py``).
"""
