"""Sign-in, sessions, CSRF and the access policy."""
