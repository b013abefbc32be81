"""Offline sync: idempotent writes, conflicts and what left a device's scope."""
