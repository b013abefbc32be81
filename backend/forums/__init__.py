"""Cross-disciplinary forums (domain §11)."""
