"""Electronic signature of deal documents on our own pages, with one-time emailed links."""

import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage, send_mail
from django.core.validators import validate_email
from django.db import transaction as db
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from compliance.models.privacy import ContactPurpose
from compliance.services.consent import address_block_reason
from realestate.permissions import CHANGE, can
from transactions import esign
from transactions.models.documents import Signer, SigningRequest, SigningStatus
from transactions.services.documents import document_read, document_store

logger = logging.getLogger(__name__)

MAX_SIGNERS = 10
# Signers who have not signed are reminded every few days, a few times at most.
REMIND_EVERY = timedelta(days=2)
MAX_REMINDERS = 3


def token_digest(token: str) -> str:
    """What is stored of a one-time token: its SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


def signing_url(token: str) -> str:
    """The absolute link a signer follows to sign."""
    return settings.SITE_URL.rstrip("/") + reverse("transactions:sign", args=[token])


def _clean_signers(signers):
    """Names and emails as given, checked: at least one, each with its own email."""
    cleaned = []
    for signer in signers:
        name = " ".join(str(signer.get("name", "")).split())
        email = str(signer.get("email", "")).strip()
        if not name and not email:
            continue
        if not name:
            raise ValidationError({"signers": f"Give the name of the signer at {email}."})
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError(
                {"signers": f"{email or 'The email'} of {name} is not an email address."}
            ) from None
        cleaned.append({"name": name, "email": email})
    if not cleaned:
        raise ValidationError({"signers": "Add at least one signer."})
    if len(cleaned) > MAX_SIGNERS:
        raise ValidationError(
            {"signers": f"A document may be sent to at most {MAX_SIGNERS} signers at once."}
        )
    emails = [signer["email"].casefold() for signer in cleaned]
    if len(set(emails)) != len(emails):
        raise ValidationError({"signers": "Each signer needs their own email address."})
    return cleaned


def _provider_request(request, data, signers=()):
    """The request as the signature provider sees it."""
    return esign.SignatureRequest(
        reference=request.reference,
        document_title=request.document.title,
        document=data,
        signers=tuple(signers),
    )


def signing_request_create(*, document, signers, actor):
    """Send a PDF document to its signers: one-time links, emailed once the request is saved."""
    if not can(actor, document.transaction, CHANGE):
        raise PermissionDenied("You cannot send this deal's documents for signature.")
    if not document.is_pdf:
        raise ValidationError({"document": "Only PDF documents can be signed electronically."})
    cleaned = _clean_signers(signers)
    brokerage_id = document.transaction.brokerage_id
    refused = [
        reason
        for reason in (
            address_block_reason(
                brokerage_id=brokerage_id, address=s["email"], purpose=ContactPurpose.TRANSACTION
            )
            for s in cleaned
        )
        if reason
    ]
    if refused:
        raise ValidationError(
            {
                "signers": [
                    *refused,
                    "Record the client's consent to email on their page first, or have them "
                    "sign on paper.",
                ]
            }
        )
    data = document_read(document)
    if esign.document_sha256(data) != document.sha256:
        raise ValidationError(
            {"document": "The stored file has changed since it was uploaded; upload it again."}
        )
    request = SigningRequest(
        document=document,
        provider=esign.LocalSignatureProvider.key,
        reference=f"SR-{secrets.token_hex(6).upper()}",
        created_by=actor,
        sha256_before=document.sha256,
    )
    provider = esign.LocalSignatureProvider()
    try:
        provider.send(
            _provider_request(
                request, data, [esign.Signer(name=s["name"], email=s["email"]) for s in cleaned]
            )
        )
    except ValueError as exc:
        raise ValidationError({"document": str(exc)}) from exc
    links = []
    with db.atomic():
        request.save()
        for order, signer in enumerate(cleaned):
            token = secrets.token_urlsafe(32)
            row = Signer.objects.create(
                request=request, order=order, token_digest=token_digest(token), **signer
            )
            links.append((row, signing_url(token)))
        db.on_commit(lambda: _email_signers(request, links))
    return request


def _email_signers(request, links, reminder=False):
    brokerage_id = request.document.transaction.brokerage_id
    for signer, url in links:
        if address_block_reason(
            brokerage_id=brokerage_id, address=signer.email, purpose=ContactPurpose.TRANSACTION
        ):
            # The client said stop after the request was made: their link is not emailed.
            logger.warning("Signing link of signer %s not emailed: do not contact", signer.pk)
            continue
        context = {
            "signer": signer,
            "request": request,
            "document": request.document,
            "url": url,
            "reminder": reminder,
        }
        subject = render_to_string("transactions/emails/signing_request_subject.txt", context)
        send_mail(
            " ".join(subject.split()),
            render_to_string("transactions/emails/signing_request_body.txt", context),
            None,
            [signer.email],
        )


def signer_remind(*, signer, actor=None):
    """Email a signer who has not signed yet a new link; the link sent before stops working.

    ``actor`` is the person asking from the deal (None for the scheduled reminders).
    """
    request = signer.request
    if actor is not None and not can(actor, request.document.transaction, CHANGE):
        raise PermissionDenied("You cannot remind this deal's signers.")
    token = secrets.token_urlsafe(32)
    with db.atomic():
        # The conditional update claims the reminder: a signed or cancelled request sends none.
        claimed = (
            Signer.objects.filter(
                pk=signer.pk, signed_at__isnull=True, request__status=SigningStatus.SENT
            )
            .filter(reminders_sent=signer.reminders_sent)
            .update(
                token_digest=token_digest(token),
                reminded_at=timezone.now(),
                reminders_sent=signer.reminders_sent + 1,
            )
        )
        if not claimed:
            raise ValidationError(f"{signer.name} has nothing left to sign.")
        signer.refresh_from_db()
        db.on_commit(lambda: _email_signers(request, [(signer, signing_url(token))], True))
    return signer


def signers_remind(*, request, actor):
    """Send a new link to every signer of a request who has not signed yet."""
    if not can(actor, request.document.transaction, CHANGE):
        raise PermissionDenied("You cannot remind this deal's signers.")
    if request.status != SigningStatus.SENT:
        raise ValidationError("Only a request still waiting for signatures has signers to remind.")
    waiting = list(request.signers.filter(signed_at__isnull=True))
    for signer in waiting:
        signer_remind(signer=signer, actor=actor)
    return waiting


def signing_reminders_send(*, now=None):
    """Remind the signers who have not signed within a few days, a few times at most."""
    now = now or timezone.now()
    due = (
        Signer.objects.filter(
            signed_at__isnull=True,
            request__status=SigningStatus.SENT,
            request__created_at__lte=now - REMIND_EVERY,
            reminders_sent__lt=MAX_REMINDERS,
        )
        .exclude(reminded_at__gt=now - REMIND_EVERY)
        .select_related("request__document")
        .order_by("pk")
    )
    sent = 0
    for signer in due:
        try:
            signer_remind(signer=signer)
        except ValidationError:
            continue  # signed or reminded by another run meanwhile
        sent += 1
    return sent


def signer_for_token(token: str):
    """The signer a one-time link belongs to, or None for a link we never issued."""
    if not token or len(token) > 200:
        return None
    return (
        Signer.objects.select_related("request__document__transaction")
        .filter(token_digest=token_digest(token))
        .first()
    )


def signer_sign(*, signer, typed_name, consent, ip, user_agent):
    """Record one signer's signature; the last one completes the request."""
    request = signer.request
    if request.status != SigningStatus.SENT:
        raise ValidationError("This document is no longer waiting for signatures.")
    now = timezone.now()
    try:
        evidence = esign.SignerEvidence(
            name=typed_name,
            email=signer.email,
            consent_text=esign.CONSENT_STATEMENT,
            consent_accepted=consent is True,
            signed_at=now,
            ip=ip,
            user_agent=user_agent or "",
        )
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc
    with db.atomic():
        # The token is spent by a conditional update, so two submissions cannot both sign.
        spent = Signer.objects.filter(pk=signer.pk, token_used_at__isnull=True).update(
            token_used_at=now,
            signed_at=now,
            ip=evidence.ip,
            user_agent=evidence.user_agent,
            typed_name=evidence.name,
            consent_text=evidence.consent_text,
        )
        if not spent:
            raise ValidationError("This link has already been used to sign.", code="used")
        signer.refresh_from_db()
        if not request.signers.filter(signed_at__isnull=True).exists():
            signing_request_complete(request=request)
    return signer


def _evidence(signer):
    return esign.SignerEvidence(
        name=signer.typed_name,
        email=signer.email,
        consent_text=signer.consent_text,
        consent_accepted=True,
        signed_at=signer.signed_at,
        ip=signer.ip,
        user_agent=signer.user_agent,
    )


def signing_request_complete(*, request):
    """Stamp the signature page, keep the signed PDF and certificate, and submit the new version."""
    with db.atomic():
        claimed = SigningRequest.objects.filter(pk=request.pk, status=SigningStatus.SENT).update(
            status=SigningStatus.COMPLETED, completed_at=timezone.now()
        )
        if not claimed:
            return request
        request.refresh_from_db()
        document = request.document
        data = document_read(document)
        signers = [
            esign.Signer(name=signer.name, email=signer.email, evidence=_evidence(signer))
            for signer in request.signers.all()
        ]
        completed = esign.LocalSignatureProvider().completed(
            request=_provider_request(request, data, signers), external_id=request.reference
        )
        signed = document_store(
            transaction=document.transaction,
            milestone=document.milestone,
            data=completed.document.data,
            title=f"{document.title} (signed)"[:200],
            content_type=document.content_type,
            extension="pdf",
            actor=request.created_by,
        )
        request.signed_file.name = signed.file.name
        request.certificate_file.save(
            "certificate.pdf", ContentFile(completed.certificate), save=False
        )
        request.sha256_before = completed.document.sha256_before
        request.sha256_after = completed.document.sha256_after
        request.signed_document = signed
        request.save(
            update_fields=[
                "signed_file",
                "certificate_file",
                "sha256_before",
                "sha256_after",
                "signed_document",
            ]
        )
        db.on_commit(lambda: _signed_copies_queue(request.pk))
    return request


def _signed_copies_queue(signing_request_id):
    from transactions.tasks import signed_copies_send_task

    signed_copies_send_task.delay(signing_request_id=signing_request_id)


def signed_copies_send(*, request):
    """Every signer of a completed request gets the signed document and its audit certificate."""
    if request.status != SigningStatus.COMPLETED:
        return 0
    with request.signed_file.open("rb") as stored:
        signed_pdf = stored.read()
    with request.certificate_file.open("rb") as stored:
        certificate = stored.read()
    title = request.document.title
    brokerage_id = request.document.transaction.brokerage_id
    signers = [
        signer
        for signer in request.signers.all()
        if not address_block_reason(
            brokerage_id=brokerage_id, address=signer.email, purpose=ContactPurpose.TRANSACTION
        )
    ]
    for signer in signers:
        context = {"signer": signer, "request": request, "document": request.document}
        message = EmailMessage(
            subject=f"Signed: {title}",
            body=render_to_string("transactions/emails/signing_completed_body.txt", context),
            to=[signer.email],
        )
        message.attach(f"{request.reference}-signed.pdf", signed_pdf, "application/pdf")
        message.attach(f"{request.reference}-certificate.pdf", certificate, "application/pdf")
        message.send()
    return len(signers)


def signing_request_cancel(*, request, actor):
    """Stop a request before everyone has signed: its links no longer sign anything."""
    if not can(actor, request.document.transaction, CHANGE):
        raise PermissionDenied("You cannot cancel this signing request.")
    if not SigningRequest.objects.filter(pk=request.pk, status=SigningStatus.SENT).update(
        status=SigningStatus.CANCELLED
    ):
        raise ValidationError("Only a request still waiting for signatures can be cancelled.")
    request.refresh_from_db()
    return request


def signing_request_verify(*, request):
    """Check the stored signed PDF against the fingerprints recorded at signing."""
    if request.status != SigningStatus.COMPLETED or not request.signed_file:
        raise ValidationError("This document has not been signed by everyone yet.")
    with request.signed_file.open("rb") as stored:
        data = stored.read()
    return esign.pdf_verify(
        signed=data,
        expected_sha256_after=request.sha256_after,
        expected_sha256_before=request.sha256_before,
    )
