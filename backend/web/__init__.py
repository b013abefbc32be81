"""Thin web adapters: HTML pages and the JSON API over the services."""
