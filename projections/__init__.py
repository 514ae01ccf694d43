"""The read side: what is built from the district event logs and read back through asyncpg."""
