"""The JSON API of the contract (`/api/`)."""
