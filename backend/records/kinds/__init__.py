"""One module per record kind, each declaring its `KIND` (see `records/kind.py`); the
registry (`records/registry.py`) collects them. Helpers shared by kinds sit beside them."""
