"""The dashboard: a static site the service serves itself (no CDN, no build step) and the few
routes it needs besides the JSON API."""
