"""Tenants: the registry of districts and towns, and each district's own event store."""
