"""The project's URLs: the course app at the root, the admin, a favicon, the toolbar."""

from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView

urlpatterns = [
    path("admin/", admin.site.urls),
    # Browsers ask for /favicon.ico on pages that link no icon (the admin,
    # Django's debug pages). ex: /favicon.ico -> /static/favicon.ico
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("favicon.ico"))),
    path("", include("myapp.urls")),
]

# With DEBUG off, an unreachable session store answers a 503 page that says so;
# any other error Django's 500 page.
# https://docs.djangoproject.com/en/5.2/ref/urls/#handler500
handler500 = "myapp.store_errors.server_error"

if settings.DEBUG_TOOLBAR:
    from debug_toolbar.toolbar import debug_toolbar_urls

    urlpatterns += debug_toolbar_urls()
