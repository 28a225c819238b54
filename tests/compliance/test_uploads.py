"""Every file a person can upload is checked before it is kept: the inventory of upload fields."""

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models

pytestmark = pytest.mark.django_db

OUR_APPS = ("agents", "properties", "mls", "clients", "transactions", "compliance")

# Each stored file field of ours, and where its uploads are checked (and tested).
CHECKED_UPLOADS = {
    "agents.Agent.photo": "validate_uploaded_image (this file)",
    "agents.Brokerage.brand_logo": "validate_uploaded_image (tests/agents/test_brand.py)",
    "properties.PropertyMedia.original": "properties.images (tests/properties/test_images.py)",
    "mls.MLSProvider.feed_file": "the CSV feed check (tests/mls/test_csv_upload.py)",
    "transactions.Document.file": "document_upload (tests/transactions/test_documents.py)",
    # Made by the product itself, never uploaded.
    "transactions.SigningRequest.signed_file": "written by the signing service",
    "transactions.SigningRequest.certificate_file": "written by the signing service",
}


def test_every_file_field_is_one_whose_uploads_are_checked():
    found = {
        f"{model._meta.app_label}.{model.__name__}.{field.name}"
        for app_label in OUR_APPS
        for model in apps.get_app_config(app_label).get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.FileField)
    }
    assert found == set(CHECKED_UPLOADS)


def test_an_agent_photo_that_is_not_an_image_is_refused(personas):
    agent = personas.agent
    agent.photo = SimpleUploadedFile("me.jpg", b"<html><script>alert(1)</script></html>")
    with pytest.raises(ValidationError) as error:
        agent.full_clean()
    assert "photo" in error.value.message_dict
