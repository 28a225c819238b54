"""Form machinery shared by every app."""

from django.db import models


def formfield_https(field, **kwargs):
    """A ModelForm ``formfield_callback``: web addresses typed without a scheme are https."""
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)
