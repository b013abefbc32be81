"""Pure rules of the domain: no I/O, no database, callable from tests directly."""
