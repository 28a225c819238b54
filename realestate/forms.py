"""Form machinery shared by every app."""

from django.db import models


def formfield_https(field, **kwargs):
    """A ModelForm ``formfield_callback``: web addresses typed without a scheme are https."""
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


def add_service_errors(exc, *forms):
    """Show a service's ValidationError next to the fields it names, on whichever form has them.

    Errors of fields no form shows (or shows only as hidden inputs) go above the first form.
    """
    if not hasattr(exc, "error_dict"):
        forms[0].add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        target = next(
            (
                form
                for form in forms
                if field in form.fields and not form.fields[field].widget.is_hidden
            ),
            None,
        )
        if target is None:
            forms[0].add_error(None, errors)
        else:
            target.add_error(field, errors)
