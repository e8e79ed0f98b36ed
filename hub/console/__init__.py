"""The operators' web console: static page, script and style served by the hub, plus its site plan."""
