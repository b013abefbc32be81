"""Opspor: offline-first early-detection records for Danish field staff."""
