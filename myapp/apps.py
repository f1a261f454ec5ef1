from django.apps import AppConfig


class MyappConfig(AppConfig):
    """The course: the seed examples and one module per lesson."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "myapp"
    verbose_name = "Django sessions course"
