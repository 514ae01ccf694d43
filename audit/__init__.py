"""Audit: the hash chain, signed checkpoints and Merkle proofs that let anyone verify a district's log."""
