"""The leaves every layer may import: China Standard Time, the hash chain and Merkle trees, and
the overrides of the eventsourcing library's internals. Imports nothing of the project's."""
