"""Server-rendered pages (Danish HTML); htmx requests get fragments of the same templates."""
