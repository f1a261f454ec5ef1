"""Session engines for a shared cache that goes away: Django's, made outage-aware.

Each module holds a ``SessionStore``, so a settings file picks one by module
path, e.g. ``SESSION_ENGINE = "myapp.session_backends.cached_db"``. The class
keeps Django's name, and so Django's signing salt and cache key prefix:
sessions written by Django's own engines stay readable.
"""
