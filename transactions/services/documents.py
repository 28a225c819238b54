"""Deal documents: upload with validation, the broker's review, and the review queue."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction as db
from django.utils import timezone

from agents.choices import EventName
from agents.services.events import event_record
from properties import images
from realestate.permissions import CHANGE, VIEW, actor_for, can
from transactions import esign
from transactions.choices import ReviewState
from transactions.models.documents import PDF, Document

# The first bytes of the image formats a deal document may be; anything else is refused.
_IMAGE_SIGNATURES = {b"\xff\xd8\xff": "JPEG", b"\x89PNG\r\n\x1a\n": "PNG"}
# PDF readers find the header within the first kilobyte.
_PDF_HEADER_WINDOW = 1024
ACCEPTED_TYPES = "PDF, JPEG or PNG"


def document_max_bytes() -> int:
    return settings.DEAL_DOCUMENT_MAX_BYTES


def _size_label(size: int) -> str:
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


def _upload_error(message, code):
    return ValidationError({"upload": ValidationError(message, code=code)})


def document_inspect(data: bytes) -> tuple[str, str]:
    """The content type and extension of an acceptable document; a field error says why not."""
    if not data:
        raise _upload_error("The file is empty.", "empty")
    if b"%PDF-" in data[:_PDF_HEADER_WINDOW]:
        try:
            esign.pdf_check(data)
        except ValueError as exc:
            raise _upload_error(str(exc), "pdf_invalid") from exc
        return PDF, "pdf"
    if not any(data.startswith(signature) for signature in _IMAGE_SIGNATURES):
        raise _upload_error(
            f"This kind of file is not accepted; upload a {ACCEPTED_TYPES} file.", "file_type"
        )
    try:
        info = images.inspect_image(data)
    except ValidationError as exc:
        raise _upload_error(" ".join(exc.messages), exc.code or "image_invalid") from exc
    return info.content_type, info.extension


def _milestone_refresh(milestone):
    """Set the checklist item's review state to that of its latest document."""
    latest = milestone.documents.order_by("-uploaded_at", "-pk").first()
    state = latest.review_state if latest else ReviewState.MISSING
    # Saved even when the copy in hand agrees: it may be older than the row (auditlog sees it).
    milestone.review_state = state
    milestone.save(update_fields=["review_state"])


def document_store(
    *, transaction, milestone, data, title, content_type, extension, actor, original_name=""
):
    """Save checked bytes as the next version of the item's document, submitted for review."""
    previous = None
    if milestone is not None:
        previous = milestone.documents.order_by("-version", "-pk").first()
    document = Document(
        transaction=transaction,
        milestone=milestone,
        title=title,
        original_name=original_name[:255],
        content_type=content_type,
        size=len(data),
        sha256=esign.document_sha256(data),
        uploaded_by=actor,
        review_state=ReviewState.SUBMITTED,
        version=previous.version + 1 if previous else 1,
        replaces=previous,
    )
    document.full_clean(exclude=["file"])
    document.file.save(f"document.{extension}", ContentFile(data), save=False)
    try:
        with db.atomic():
            document.save()
            if milestone is not None:
                _milestone_refresh(milestone)
    except Exception:
        document.file.delete(save=False)
        raise
    return document


def document_upload(*, transaction, milestone, upload, title, actor):
    """Check an uploaded file (PDF or image, within the size limit) and submit it for review."""
    if not can(actor, transaction, CHANGE):
        raise PermissionDenied("You cannot add documents to this deal.")
    if milestone is not None and milestone.transaction_id != transaction.pk:
        raise ValidationError({"milestone": "Choose a checklist item of this deal."})
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError({"title": "Give the document a title."})
    max_bytes = document_max_bytes()
    if upload.size > max_bytes:
        raise _upload_error(
            f"The file is {_size_label(upload.size)}; documents may be at most "
            f"{_size_label(max_bytes)}.",
            "file_too_large",
        )
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _upload_error(f"Documents may be at most {_size_label(max_bytes)}.", "file_too_large")
    content_type, extension = document_inspect(data)
    return document_store(
        transaction=transaction,
        milestone=milestone,
        data=data,
        title=title,
        content_type=content_type,
        extension=extension,
        actor=actor,
        original_name=getattr(upload, "name", "") or "",
    )


def can_review(user, document) -> bool:
    """Whether ``user`` reviews documents of this deal: its brokerage's broker or reviewer."""
    return actor_for(user).is_reviewer and can(user, document.transaction, VIEW)


def document_review(*, document, approve: bool, note: str, actor):
    """Approve a submitted document or return it to the agent with a note saying why."""
    if not can_review(actor, document):
        raise PermissionDenied("Only the broker or a document reviewer reviews deal documents.")
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationError({"note": "Say what needs to change before returning the document."})
    with db.atomic():
        updated = Document.objects.filter(
            pk=document.pk, review_state=ReviewState.SUBMITTED
        ).update(
            review_state=ReviewState.APPROVED if approve else ReviewState.RETURNED,
            review_note=note,
            reviewed_by=actor,
            reviewed_at=timezone.now(),
        )
        if not updated:
            raise ValidationError("This document has already been reviewed.")
        document.refresh_from_db()
        if document.milestone_id is not None:
            _milestone_refresh(document.milestone)
        if approve:
            event_record(
                brokerage=document.transaction.brokerage_id,
                name=EventName.DOCUMENT_APPROVED,
                subject=document,
                payload={
                    "document_id": document.pk,
                    "deal_id": document.transaction_id,
                    "title": document.title,
                    "milestone_id": document.milestone_id,
                    "reviewed_by_id": actor.pk,
                },
                actor=actor,
            )
    return document


def document_read(document) -> bytes:
    """The stored bytes of a document."""
    with document.file.open("rb") as stored:
        return stored.read()
