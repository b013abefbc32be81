"""Outgoing notifications that leave the app (e-mail)."""
