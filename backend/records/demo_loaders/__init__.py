"""Demo record loaders, one per area (see backend/records/demo.py)."""
