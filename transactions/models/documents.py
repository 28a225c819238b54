"""Deal documents, the broker's review of them, and their electronic signature."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from realestate.permissions import scoped
from transactions.choices import ReviewState
from transactions.storage import deal_document_storage

PDF = "application/pdf"


class SigningStatus(models.TextChoices):
    """Where a request for signatures stands."""

    SENT = "sent", "Waiting for signatures"
    COMPLETED = "completed", "Signed by everyone"
    CANCELLED = "cancelled", "Cancelled"


def document_upload_to(instance, filename):
    """A generated, unguessable name: nothing the uploader chose, nothing ever overwritten."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"deal-documents/{secrets.token_hex(1)}/{secrets.token_urlsafe(24)}.{extension}"


@scoped(parent="transaction")
class Document(models.Model):
    """A file of a deal (contract, disclosure, signed copy), tied to a checklist item and reviewed
    by the broker; a new upload for the same item is its next version."""

    transaction = models.ForeignKey(
        "transactions.Transaction", on_delete=models.CASCADE, related_name="documents"
    )
    milestone = models.ForeignKey(
        "transactions.Milestone",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="documents",
    )
    title = models.CharField(max_length=200)
    file = models.FileField(
        storage=deal_document_storage, upload_to=document_upload_to, max_length=300
    )
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    review_state = models.CharField(
        max_length=10, choices=ReviewState.choices, default=ReviewState.SUBMITTED
    )
    review_note = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveSmallIntegerField(default=1)
    replaces = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replaced_by"
    )

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        indexes = [
            models.Index(fields=["review_state", "uploaded_at"], name="document_review_queue"),
        ]

    def __str__(self):
        return f"{self.title} (v{self.version})"

    @property
    def is_pdf(self):
        return self.content_type == PDF

    @property
    def download_name(self):
        """The file name offered on download: the title, with the stored file's extension."""
        from django.utils.text import slugify

        extension = self.file.name.rsplit(".", 1)[-1] if "." in self.file.name else "bin"
        return f"{slugify(self.title) or 'document'}-v{self.version}.{extension}"


@scoped(parent="document")
class SigningRequest(models.Model):
    """A PDF document sent to one or more people to sign electronically."""

    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="signing_requests"
    )
    status = models.CharField(
        max_length=10, choices=SigningStatus.choices, default=SigningStatus.SENT
    )
    provider = models.CharField(max_length=20, default="local")
    reference = models.CharField(max_length=40, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    signed_file = models.FileField(
        storage=deal_document_storage, upload_to=document_upload_to, max_length=300, blank=True
    )
    certificate_file = models.FileField(
        storage=deal_document_storage, upload_to=document_upload_to, max_length=300, blank=True
    )
    sha256_before = models.CharField(max_length=64, blank=True)
    sha256_after = models.CharField(max_length=64, blank=True)
    # The signed PDF as a new version of the document, submitted for the broker's review.
    signed_document = models.ForeignKey(
        Document, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.reference


@scoped(parent="request")
class Signer(models.Model):
    """One person asked to sign, with the evidence of their signature once they have signed."""

    request = models.ForeignKey(SigningRequest, on_delete=models.CASCADE, related_name="signers")
    name = models.CharField(max_length=200)
    email = models.EmailField()
    order = models.PositiveSmallIntegerField(default=0)
    # Only a SHA-256 of the one-time link's token is kept: a copy of the database signs nothing.
    token_digest = models.CharField(max_length=64, unique=True)
    token_used_at = models.DateTimeField(null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.TextField(blank=True)
    typed_name = models.CharField(max_length=200, blank=True)
    consent_text = models.TextField(blank=True)
    # Each reminder sends a new link: only a digest is kept, so the old token cannot be resent.
    reminded_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["request", "order", "pk"]

    def __str__(self):
        return f"{self.name} <{self.email}>"
