"""Municipalities, units, users, children, placements and caseloads."""
