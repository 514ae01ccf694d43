"""The running service: settings, the database it uses, its composition root and its CLI."""
