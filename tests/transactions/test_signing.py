"""Electronic signature of deal documents: links by email, the public signing page, the result."""

import re

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from tests.transactions.test_documents import deal, document, milestone, png_bytes
from transactions.choices import ReviewState
from transactions.esign import CONSENT_STATEMENT
from transactions.models.documents import Document, Signer, SigningRequest, SigningStatus
from transactions.services.signing import (
    signing_request_create,
    signing_request_verify,
    token_digest,
)
from transactions.views.documents import client_ip

pytestmark = pytest.mark.django_db
__all__ = ["deal", "document", "milestone"]

SIGNERS = [
    {"name": "Jane Buyer", "email": "jane@example.com"},
    {"name": "Robert Seller", "email": "robert@example.com"},
]
LINK = re.compile(r"http://testserver(/deals/sign/[A-Za-z0-9_-]+/)")
CHROME = "Mozilla/5.0 (Macintosh) Chrome/126.0 Safari/537.36"


@pytest.fixture
def sent(document, personas, settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "http://testserver"
    with django_capture_on_commit_callbacks(execute=True):
        request = signing_request_create(
            document=document, signers=SIGNERS, actor=personas.agent.user
        )
    links = {message.to[0]: LINK.search(message.body)[1] for message in mail.outbox}
    return request, links


def sign(link, name, ip="203.0.113.7"):
    return Client().post(
        link,
        {"typed_name": name, "consent": "on"},
        REMOTE_ADDR=ip,
        HTTP_USER_AGENT=CHROME,
    )


def test_each_signer_is_emailed_their_own_link(sent):
    request, links = sent
    assert sorted(links) == ["jane@example.com", "robert@example.com"]
    assert len(set(links.values())) == 2
    assert all(message.subject == "Please sign: Purchase agreement" for message in mail.outbox)
    # Only a digest of each token is kept.
    for link in links.values():
        token = link.rstrip("/").rsplit("/", 1)[-1]
        assert not Signer.objects.filter(token_digest=token).exists()
        assert Signer.objects.filter(token_digest=token_digest(token)).exists()


def test_signing_page_shows_the_document_and_consent(sent):
    _request, links = sent
    response = Client().get(links["jane@example.com"])
    content = response.content.decode()
    assert response.status_code == 200
    assert "Purchase agreement" in content
    assert CONSENT_STATEMENT in content
    assert "/document/" in content
    inline = Client().get(links["jane@example.com"] + "document/")
    assert inline.status_code == 200
    assert inline["Content-Disposition"].startswith("inline")
    assert b"".join(inline.streaming_content).startswith(b"%PDF-")


def test_end_to_end_two_signers(sent, milestone, document):
    request, links = sent
    first = sign(links["jane@example.com"], "Jane Q. Buyer")
    assert first.status_code == 200
    assert "Thank you" in first.content.decode()
    request.refresh_from_db()
    assert request.status == SigningStatus.SENT

    jane = request.signers.get(email="jane@example.com")
    assert jane.ip == "203.0.113.7"
    assert jane.user_agent == CHROME
    assert jane.typed_name == "Jane Q. Buyer"
    assert jane.consent_text == CONSENT_STATEMENT
    assert jane.signed_at is not None and jane.token_used_at is not None

    sign(links["robert@example.com"], "Robert Seller", ip="198.51.100.4")
    request.refresh_from_db()
    assert request.status == SigningStatus.COMPLETED
    assert request.completed_at is not None
    assert request.sha256_before == document.sha256
    assert len(request.sha256_after) == 64
    assert request.sha256_after != request.sha256_before
    with request.certificate_file.open("rb") as certificate:
        assert certificate.read().startswith(b"%PDF-")

    signed = request.signed_document
    assert signed.version == 2
    assert signed.replaces == document
    assert signed.milestone == milestone
    assert signed.review_state == ReviewState.SUBMITTED
    assert signed.sha256 == request.sha256_after
    milestone.refresh_from_db()
    assert milestone.review_state == ReviewState.SUBMITTED

    verification = signing_request_verify(request=request)
    assert verification.ok, verification.problems
    assert [signer.name for signer in verification.record.signers] == [
        "Jane Q. Buyer",
        "Robert Seller",
    ]


def test_a_tampered_signed_file_fails_verification(sent):
    request, links = sent
    for email, link in links.items():
        sign(link, email.split("@")[0])
    request.refresh_from_db()
    with request.signed_file.open("rb") as stored:
        data = stored.read()
    tampered = data.replace(b"ReportLab Generated", b"ReportLab Rewritten", 1)
    assert tampered != data
    with request.signed_file.open("wb") as stored:
        stored.write(tampered)
    verification = signing_request_verify(request=request)
    assert not verification.ok
    assert any("changed since it was signed" in problem for problem in verification.problems)


def test_a_used_link_cannot_sign_again(sent):
    request, links = sent
    sign(links["jane@example.com"], "Jane Buyer")
    again = sign(links["jane@example.com"], "Someone Else", ip="192.0.2.99")
    assert again.status_code == 200
    assert "Already signed" in again.content.decode()
    jane = request.signers.get(email="jane@example.com")
    assert jane.typed_name == "Jane Buyer"
    assert jane.ip == "203.0.113.7"
    assert Client().get(links["jane@example.com"] + "document/").status_code == 404
    assert "Already signed" in Client().get(links["jane@example.com"]).content.decode()


def test_unknown_link_is_404():
    assert Client().get("/deals/sign/not-a-token/").status_code == 404
    assert Client().post("/deals/sign/not-a-token/", {"typed_name": "X"}).status_code == 404
    assert Client().get("/deals/sign/not-a-token/document/").status_code == 404


def test_signing_needs_consent_and_a_name(sent):
    request, links = sent
    response = Client().post(
        links["jane@example.com"], {"typed_name": "Jane"}, REMOTE_ADDR="1.2.3.4"
    )
    assert response.status_code == 400
    assert 'value="Jane"' in response.content.decode()
    assert not request.signers.filter(signed_at__isnull=False).exists()


def test_forwarded_address_is_trusted_only_behind_proxies(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    settings.NUM_PROXIES = 0
    assert client_ip(request) == "10.0.0.2"
    settings.NUM_PROXIES = 1
    assert client_ip(request) == "203.0.113.9"


def test_only_pdfs_are_signed(deal, milestone, personas):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from transactions.services.documents import document_upload

    photo = document_upload(
        transaction=deal,
        milestone=milestone,
        upload=SimpleUploadedFile("p.png", png_bytes()),
        title="Photo",
        actor=personas.agent.user,
    )
    with pytest.raises(ValidationError, match="Only PDF"):
        signing_request_create(document=photo, signers=SIGNERS, actor=personas.agent.user)


def test_signers_need_distinct_valid_emails(document, personas):
    with pytest.raises(ValidationError, match="own email"):
        signing_request_create(
            document=document, signers=[SIGNERS[0], SIGNERS[0]], actor=personas.agent.user
        )
    with pytest.raises(ValidationError, match="not an email"):
        signing_request_create(
            document=document,
            signers=[{"name": "Jane", "email": "jane"}],
            actor=personas.agent.user,
        )
    assert not SigningRequest.objects.exists()


@pytest.mark.parametrize("name", ["colleague", "viewer", "stranger"])
def test_people_off_the_deal_cannot_send_for_signature(document, personas, name):
    with pytest.raises(PermissionDenied):
        signing_request_create(document=document, signers=SIGNERS, actor=personas.user(name))


# --- pages and API -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "created"),
    [
        ("agent", True),
        ("broker", True),
        ("colleague", False),
        ("viewer", False),
        ("stranger", False),
    ],
)
def test_send_for_signature_page(client_for, document, name, created, settings):
    settings.SITE_URL = "http://testserver"
    response = client_for(name).post(
        reverse("transactions:document-signing", args=[document.pk]),
        {"name_0": "Jane Buyer", "email_0": "jane@example.com"},
    )
    assert response.status_code == (302 if created else 404)
    assert SigningRequest.objects.exists() == created


def test_send_for_signature_redirects_anonymous(client_for, document):
    response = client_for("anonymous").post(
        reverse("transactions:document-signing", args=[document.pk]),
        {"name_0": "Jane", "email_0": "jane@example.com"},
    )
    assert response.status_code == 302
    assert not SigningRequest.objects.exists()


@pytest.mark.parametrize(
    ("name", "status"),
    [("agent", 200), ("broker", 200), ("colleague", 404), ("stranger", 404), ("anonymous", 302)],
)
def test_certificate_download(client_for, sent, name, status):
    request, links = sent
    for email, link in links.items():
        sign(link, email)
    response = client_for(name).get(reverse("transactions:signing-certificate", args=[request.pk]))
    assert response.status_code == status


@pytest.mark.parametrize(
    ("name", "status"), [("agent", 201), ("colleague", 400), ("stranger", 400), ("anonymous", 401)]
)
def test_api_create_signing_request(api_for, document, name, status):
    response = api_for(name).post(
        "/api/v1/transactions/signing-requests/",
        {"document": document.pk, "signers": SIGNERS},
        format="json",
    )
    assert response.status_code == status
    assert SigningRequest.objects.exists() == (status == 201)
    if status == 201:
        assert [signer["email"] for signer in response.json()["signers"]] == [
            "jane@example.com",
            "robert@example.com",
        ]
        assert "token" not in response.content.decode()


@pytest.mark.parametrize("name", ["agent", "broker", "colleague", "stranger"])
def test_api_list_and_verify_signing_requests(api_for, sent, name):
    request, links = sent
    for email, link in links.items():
        sign(link, email)
    sees = name in ("agent", "broker")
    listed = api_for(name).get("/api/v1/transactions/signing-requests/").json()["results"]
    assert [row["id"] for row in listed] == ([request.pk] if sees else [])
    verify = api_for(name).get(f"/api/v1/transactions/signing-requests/{request.pk}/verify/")
    assert verify.status_code == (200 if sees else 404)
    if sees:
        assert verify.json()["ok"] is True
    assert Document.objects.count() == 2


def test_a_cancelled_request_signs_nothing(api_for, sent):
    request, links = sent
    assert (
        api_for("colleague")
        .post(f"/api/v1/transactions/signing-requests/{request.pk}/cancel/")
        .status_code
        == 404
    )
    response = api_for("agent").post(f"/api/v1/transactions/signing-requests/{request.pk}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    email, link = next(iter(links.items()))
    sign(link, email)
    request.refresh_from_db()
    assert (
        request.status == "cancelled"
        and not request.signers.filter(signed_at__isnull=False).exists()
    )
    again = api_for("agent").post(f"/api/v1/transactions/signing-requests/{request.pk}/cancel/")
    assert again.status_code == 400
