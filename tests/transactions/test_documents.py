"""Deal documents: what may be uploaded, where it is stored, and the checklist item's state."""

import io
import os
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image
from reportlab.lib.pagesizes import LETTER
from reportlab.pdfgen.canvas import Canvas

from transactions.choices import ReviewState
from transactions.models.deals import Milestone, Transaction
from transactions.models.documents import Document
from transactions.services.documents import document_upload
from transactions.storage import deal_document_backend, private_root

pytestmark = pytest.mark.django_db


def contract_pdf(pages=1, text="Residential purchase agreement, 12 Elm Street"):
    """A small real PDF, as an agent would upload it."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=LETTER, invariant=True)
    for number in range(1, pages + 1):
        canvas.drawString(72, 720, f"{text}: page {number}")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def png_bytes(size=(40, 30)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def pdf_upload(name="contract.pdf", data=None):
    return SimpleUploadedFile(name, data or contract_pdf(), content_type="application/pdf")


@pytest.fixture
def deal(personas):
    return Transaction.objects.create(
        brokerage=personas.brokerage, name="12 Elm Street", side="buyer", agent=personas.agent
    )


@pytest.fixture
def milestone(deal):
    return Milestone.objects.create(
        transaction=deal,
        title="Purchase agreement",
        requires_document=True,
        required_for_closing=True,
    )


@pytest.fixture
def document(deal, milestone, personas):
    return document_upload(
        transaction=deal,
        milestone=milestone,
        upload=pdf_upload(),
        title="Purchase agreement",
        actor=personas.agent.user,
    )


def stored_files():
    root = private_root()
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def upload_error(deal, milestone, personas, upload):
    with pytest.raises(ValidationError) as caught:
        document_upload(
            transaction=deal,
            milestone=milestone,
            upload=upload,
            title="Disclosure",
            actor=personas.agent.user,
        )
    return " ".join(caught.value.message_dict["upload"])


def test_pdf_upload_is_submitted_for_review(document, milestone, personas):
    milestone.refresh_from_db()
    assert milestone.review_state == ReviewState.SUBMITTED
    assert document.review_state == ReviewState.SUBMITTED
    assert document.content_type == "application/pdf"
    assert document.uploaded_by == personas.agent.user
    assert len(document.sha256) == 64
    assert document.size == document.file.size
    assert document.version == 1


def test_png_upload_is_accepted(deal, milestone, personas):
    upload = SimpleUploadedFile("inspection.png", png_bytes(), content_type="image/png")
    document = document_upload(
        transaction=deal,
        milestone=milestone,
        upload=upload,
        title="Photo",
        actor=personas.agent.user,
    )
    assert document.content_type == "image/png"
    assert document.file.name.endswith(".png")


def test_second_upload_for_an_item_is_its_next_version(document, deal, milestone, personas):
    second = document_upload(
        transaction=deal,
        milestone=milestone,
        upload=pdf_upload(data=contract_pdf(text="Amended agreement")),
        title="Purchase agreement",
        actor=personas.agent.user,
    )
    assert second.version == 2
    assert second.replaces == document


def test_executable_renamed_pdf_is_refused_and_nothing_stored(deal, milestone, personas):
    upload = SimpleUploadedFile("contract.pdf", b"MZ\x90\x00" + b"\x00" * 200)
    message = upload_error(deal, milestone, personas, upload)
    assert "upload a PDF, JPEG or PNG file" in message
    assert not Document.objects.exists()
    assert stored_files() == []


def test_html_file_is_refused(deal, milestone, personas):
    upload = SimpleUploadedFile("contract.pdf", b"<html><script>alert(1)</script></html>")
    assert "not accepted" in upload_error(deal, milestone, personas, upload)
    assert stored_files() == []


def test_damaged_pdf_is_refused(deal, milestone, personas):
    upload = SimpleUploadedFile("contract.pdf", b"%PDF-1.7\nthis is not really a pdf")
    assert "cannot be read" in upload_error(deal, milestone, personas, upload)


def test_image_bomb_is_refused(deal, milestone, personas, settings):
    settings.LISTING_PHOTO_MAX_PIXELS = 1_000
    upload = SimpleUploadedFile("photo.png", png_bytes(size=(100, 100)))
    assert "megapixels" in upload_error(deal, milestone, personas, upload)
    assert stored_files() == []


def test_oversize_file_is_refused_before_it_is_read(deal, milestone, personas, settings):
    settings.DEAL_DOCUMENT_MAX_BYTES = 1024
    upload = pdf_upload(data=contract_pdf(pages=3) + b"\n" * 2048)
    message = upload_error(deal, milestone, personas, upload)
    assert "documents may be at most 1 KB" in message
    assert stored_files() == []


def test_empty_file_is_refused(deal, milestone, personas):
    assert "empty" in upload_error(deal, milestone, personas, SimpleUploadedFile("a.pdf", b""))


def test_milestone_of_another_deal_is_refused(deal, personas):
    other = Transaction.objects.create(
        brokerage=personas.brokerage, name="9 Oak Lane", side="buyer", agent=personas.agent
    )
    foreign = Milestone.objects.create(transaction=other, title="Inspection")
    with pytest.raises(ValidationError) as caught:
        document_upload(
            transaction=deal,
            milestone=foreign,
            upload=pdf_upload(),
            title="Report",
            actor=personas.agent.user,
        )
    assert "milestone" in caught.value.message_dict


@pytest.mark.parametrize("name", ["colleague", "viewer", "stranger"])
def test_people_who_cannot_change_the_deal_cannot_upload(deal, milestone, personas, name):
    with pytest.raises(PermissionDenied):
        document_upload(
            transaction=deal,
            milestone=milestone,
            upload=pdf_upload(),
            title="Contract",
            actor=personas.user(name),
        )
    assert not Document.objects.exists()


def test_stored_name_is_generated_and_outside_media_root(document, settings):
    name = document.file.name
    assert name.startswith("deal-documents/")
    assert "contract" not in name
    assert len(Path(name).stem) >= 32
    stored = Path(deal_document_backend().path(name))
    assert stored.is_file()
    assert Path(settings.MEDIA_ROOT) not in stored.parents
    with pytest.raises(ValueError):
        document.file.url  # noqa: B018


def test_two_uploads_never_share_a_name(document, deal, milestone, personas):
    second = document_upload(
        transaction=deal,
        milestone=milestone,
        upload=pdf_upload(),
        title="Purchase agreement",
        actor=personas.agent.user,
    )
    assert second.file.name != document.file.name


def test_media_url_does_not_serve_deal_documents(document, settings):
    # The app serves its public uploads here (SERVE_MEDIA); the private folder is not under them.
    name = document.file.name
    for path in (f"/media/{name}", f"/media/../private/{name}", f"/media/%2e%2e/private/{name}"):
        response = Client().get(path)
        # 400 for a path that climbs out of MEDIA_ROOT, 404 for one inside it.
        assert response.status_code in (400, 404)
        assert b"%PDF" not in b"".join(getattr(response, "streaming_content", [response.content]))
    assert os.path.isfile(deal_document_backend().path(name))


def test_s3_default_keeps_deal_documents_under_a_private_prefix(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "crm-uploads",
                "custom_domain": "cdn.example.com",
                "querystring_auth": False,
                "region_name": "us-east-1",
            },
        },
    }
    backend = deal_document_backend()
    assert backend.location == "private"
    assert backend.custom_domain is None
    assert backend.querystring_auth is True
    assert backend.file_overwrite is False
