"""ASGI entry point; the db engine unless DJANGO_SETTINGS_MODULE says otherwise."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sitecore.settings.db")

application = get_asgi_application()
