"""Email addresses and phone numbers as the CRM stores them: validated and normalised."""

import zoneinfo

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

DEFAULT_REGION = "US"


def normalize_email(value):
    """``" Jane@Example.COM "`` → ``"jane@example.com"``; empty stays empty."""
    value = (value or "").strip().lower()
    if value:
        validate_email(value)
    return value


def normalize_phone(value, region=DEFAULT_REGION):
    """Any way of writing a phone number → E.164 (``"+15551234567"``); empty stays empty."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise ValidationError("Enter a valid phone number.", code="invalid_phone") from None
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        raise ValidationError("Enter a valid phone number.", code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(value):
    """An E.164 number as people read it: "(555) 123-4567" at home, "+44 20 ..." abroad."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return value
    if phonenumbers.region_code_for_number(number) == DEFAULT_REGION:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def validate_time_zone(value):
    if value and value not in zoneinfo.available_timezones():
        raise ValidationError("Choose a time zone such as America/Chicago.", code="time_zone")


EMAIL_FIELDS = ("email", "alternate_email")
PHONE_FIELDS = ("phone", "alternate_phone")


def normalize_contact_fields(values):
    """Normalise the email and phone fields present in ``values`` in place.

    Returns the field errors as a dict (empty when all are valid), so a form or an import
    row reports every bad field at once.
    """
    errors = {}
    for field in EMAIL_FIELDS:
        if field in values:
            try:
                values[field] = normalize_email(values[field])
            except ValidationError as exc:
                errors[field] = exc.messages
    for field in PHONE_FIELDS:
        if field in values:
            try:
                values[field] = normalize_phone(values[field])
            except ValidationError as exc:
                errors[field] = exc.messages
    return errors
