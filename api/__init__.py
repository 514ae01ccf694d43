"""The HTTP API (v1): the contract of `../shared/API.md`, served by FastAPI."""
