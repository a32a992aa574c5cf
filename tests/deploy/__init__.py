"""Checks of the container deployment (compose file, Dockerfile, database init)."""
