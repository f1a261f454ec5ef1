"""One settings module per session engine; ``base`` holds what they share.

Pick one with ``DJANGO_SETTINGS_MODULE`` (``make run ENGINE=file`` does it
for you). ``db`` is the default for manage.py, WSGI, ASGI and pytest.
"""
