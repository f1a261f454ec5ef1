"""WSGI entry point; the db engine unless DJANGO_SETTINGS_MODULE says otherwise."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sitecore.settings.db")

application = get_wsgi_application()
