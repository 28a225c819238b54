"""Deal document pages and API endpoints, for every persona."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from tests.transactions.test_documents import (
    contract_pdf,
    deal,
    document,
    milestone,
    pdf_upload,
    stored_files,
)
from transactions.choices import ReviewState
from transactions.models.documents import Document

pytestmark = pytest.mark.django_db
__all__ = ["deal", "document", "milestone"]

# Who may see a deal run by ``agent``: its agent and the broker; nobody else.
SEES_DEAL = {
    "agent": True,
    "broker": True,
    "colleague": False,
    "assistant": False,
    "viewer": False,
    "stranger": False,
}


def body(response):
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("name", sorted(SEES_DEAL))
def test_download_only_for_people_who_see_the_deal(client_for, document, name):
    response = client_for(name).get(reverse("transactions:document-download", args=[document.pk]))
    if SEES_DEAL[name]:
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert "purchase-agreement-v1.pdf" in response["Content-Disposition"]
        assert response["Cache-Control"] == "private, no-store"
        assert body(response).startswith(b"%PDF-")
    else:
        assert response.status_code == 404


def test_download_redirects_anonymous_to_sign_in(client_for, document):
    response = client_for("anonymous").get(
        reverse("transactions:document-download", args=[document.pk])
    )
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("name", sorted(SEES_DEAL))
def test_documents_page_for_each_persona(client_for, document, name):
    response = client_for(name).get(
        reverse("transactions:documents", args=[document.transaction_id])
    )
    if not SEES_DEAL[name]:
        assert response.status_code == 404
        return
    content = response.content.decode()
    assert response.status_code == 200
    assert "Purchase agreement" in content
    assert reverse("transactions:document-download", args=[document.pk]) in content
    assert "Waiting for review" in content
    assert ("Approve" in content) == (name == "broker")
    assert "Send for signature" in content
    assert document.file.name not in content


def test_documents_page_redirects_anonymous(client_for, deal):
    response = client_for("anonymous").get(reverse("transactions:documents", args=[deal.pk]))
    assert response.status_code == 302


def test_upload_through_the_page(client_for, deal, milestone):
    response = client_for("agent").post(
        reverse("transactions:document-upload", args=[deal.pk]),
        {
            "milestone": milestone.pk,
            "title": "Purchase agreement",
            "upload": pdf_upload(),
            "next": f"/deals/{deal.pk}/",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"/deals/{deal.pk}/"
    milestone.refresh_from_db()
    assert milestone.review_state == ReviewState.SUBMITTED


def test_upload_error_is_shown_next_to_the_field_and_keeps_the_title(client_for, deal, milestone):
    response = client_for("agent").post(
        reverse("transactions:document-upload", args=[deal.pk]),
        {
            "milestone": milestone.pk,
            "title": "Seller disclosure",
            "upload": SimpleUploadedFile("disclosure.pdf", b"<html></html>"),
        },
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "upload a PDF, JPEG or PNG file" in content
    assert 'value="Seller disclosure"' in content
    assert not Document.objects.exists()
    assert stored_files() == []


def test_upload_refuses_an_offsite_next(client_for, deal):
    response = client_for("agent").post(
        reverse("transactions:document-upload", args=[deal.pk]),
        {"title": "Contract", "upload": pdf_upload(), "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("transactions:documents", args=[deal.pk])


@pytest.mark.parametrize(
    ("name", "status"), [("colleague", 404), ("stranger", 404), ("viewer", 404)]
)
def test_upload_refused_to_people_off_the_deal(client_for, deal, name, status):
    response = client_for(name).post(
        reverse("transactions:document-upload", args=[deal.pk]),
        {"title": "Contract", "upload": pdf_upload()},
    )
    assert response.status_code == status
    assert not Document.objects.exists()


def test_partial_renders_from_the_deal_and_user_alone(
    personas, document, django_assert_max_num_queries
):
    request = RequestFactory().get("/deals/1/")
    request.user = personas.broker.user
    template = Template('{% include "transactions/includes/deal_documents.html" %}')
    with django_assert_max_num_queries(10):
        html = template.render(
            Context({"deal": document.transaction, "user": request.user, "request": request})
        )
    assert "Purchase agreement" in html
    assert "Approve" in html
    stranger = Context({"deal": document.transaction, "user": personas.stranger.user})
    assert "Purchase agreement" not in template.render(stranger)


# --- API ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SEES_DEAL))
def test_api_lists_only_documents_of_visible_deals(api_for, document, name):
    response = api_for(name).get("/api/v1/transactions/documents/")
    assert response.status_code == 200
    ids = [row["id"] for row in response.json()["results"]]
    assert ids == ([document.pk] if SEES_DEAL[name] else [])


def test_api_anonymous_is_refused(api_for, document):
    assert api_for("anonymous").get("/api/v1/transactions/documents/").status_code == 401


@pytest.mark.parametrize("name", sorted(SEES_DEAL))
def test_api_download(api_for, document, name):
    response = api_for(name).get(f"/api/v1/transactions/documents/{document.pk}/download/")
    assert response.status_code == (200 if SEES_DEAL[name] else 404)
    if SEES_DEAL[name]:
        assert body(response).startswith(b"%PDF-")


def test_api_upload_multipart(api_for, deal, milestone):
    response = api_for("agent").post(
        "/api/v1/transactions/documents/",
        {
            "transaction": deal.pk,
            "milestone": milestone.pk,
            "title": "Contract",
            "file": pdf_upload(),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert response.json()["review_state"] == "submitted"
    assert response.json()["download_url"].endswith("/download/")


def test_api_upload_refuses_a_bad_file_with_a_field_error(api_for, deal):
    response = api_for("agent").post(
        "/api/v1/transactions/documents/",
        {
            "transaction": deal.pk,
            "title": "Contract",
            "file": SimpleUploadedFile("x.pdf", b"MZ" + b"\x00" * 64),
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert "upload" in response.json()
    assert not Document.objects.exists()


@pytest.mark.parametrize("name", ["colleague", "stranger"])
def test_api_upload_to_an_invisible_deal_is_refused(api_for, deal, name):
    response = api_for(name).post(
        "/api/v1/transactions/documents/",
        {"transaction": deal.pk, "title": "Contract", "file": pdf_upload()},
        format="multipart",
    )
    assert response.status_code == 400
    assert "transaction" in response.json()
    assert not Document.objects.exists()


@pytest.mark.parametrize(
    ("name", "status"),
    [("broker", 200), ("agent", 403), ("colleague", 404), ("viewer", 404), ("stranger", 404)],
)
def test_api_review(api_for, document, milestone, name, status):
    response = api_for(name).post(
        f"/api/v1/transactions/documents/{document.pk}/review/", {"approve": True}, format="json"
    )
    assert response.status_code == status
    milestone.refresh_from_db()
    expected = ReviewState.APPROVED if status == 200 else ReviewState.SUBMITTED
    assert milestone.review_state == expected


def test_api_return_needs_a_note(api_for, document):
    response = api_for("broker").post(
        f"/api/v1/transactions/documents/{document.pk}/review/", {"approve": False}, format="json"
    )
    assert response.status_code == 400
    assert "note" in response.json()


def test_api_list_query_count(api_for, personas, deal, django_assert_max_num_queries):
    from transactions.services.documents import document_upload

    for number in range(12):
        document_upload(
            transaction=deal,
            milestone=None,
            upload=pdf_upload(data=contract_pdf()),
            title=f"Doc {number}",
            actor=personas.agent.user,
        )
    client = api_for("broker")
    client.get("/api/v1/transactions/documents/")
    with django_assert_max_num_queries(10):
        response = client.get("/api/v1/transactions/documents/")
    assert response.json()["count"] == 12
