"""Layouts: pure, deterministic numpy functions from span columns to scene arrays (no I/O)."""
