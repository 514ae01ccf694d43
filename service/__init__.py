"""The use cases, between the edges (HTTP, the dashboard, the command line) and the core: what
the service does, each once, whoever asks for it."""
