from django.apps import AppConfig
from django.core.checks import Tags, register


class MyappConfig(AppConfig):
    """The course: the seed examples and one module per lesson."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "myapp"
    verbose_name = "Django sessions course"

    def ready(self):
        # `make run` runs migrate, which runs these: a Redis or PostgreSQL
        # that is not running stops it with a hint that says how to start it.
        from myapp import checks

        register(checks.redis_is_reachable, Tags.caches)
        register(checks.postgresql_is_reachable, Tags.database)
