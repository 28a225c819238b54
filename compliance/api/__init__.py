"""API of compliance: each area module has ``register(router)`` and ``urlpatterns``."""
