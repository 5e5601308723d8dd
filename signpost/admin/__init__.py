"""Moderation and administration at /admin."""
