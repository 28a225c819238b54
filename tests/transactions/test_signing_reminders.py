"""Signers are reminded with a new link, get the signed copy, and requests are cancelled from the
deal's pages."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.transactions.test_documents import deal, document, milestone
from tests.transactions.test_signing import LINK, sent, sign
from transactions.models.documents import Signer, SigningRequest, SigningStatus
from transactions.services.signing import MAX_REMINDERS, signing_reminders_send

pytestmark = pytest.mark.django_db
__all__ = ["deal", "document", "milestone", "sent"]


def days_later(days):
    return timezone.now() + timedelta(days=days)


def remind_run(now, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        count = signing_reminders_send(now=now)
    return count, {message.to[0]: LINK.search(message.body)[1] for message in mail.outbox}


def test_signers_are_reminded_after_two_days_with_a_new_link(
    sent, django_capture_on_commit_callbacks
):
    request, links = sent
    assert remind_run(days_later(1), django_capture_on_commit_callbacks) == (0, {})

    count, new_links = remind_run(days_later(2.1), django_capture_on_commit_callbacks)

    assert count == 2
    assert all(
        message.subject == "Reminder: please sign: Purchase agreement" for message in mail.outbox
    )
    assert set(new_links) == set(links)
    assert new_links["jane@example.com"] != links["jane@example.com"]
    # The old link no longer signs; the new one does.
    assert Client().get(links["jane@example.com"]).status_code == 404
    assert sign(new_links["jane@example.com"], "Jane Buyer").status_code == 200


def test_each_signer_is_reminded_every_two_days_a_few_times_at_most(
    sent, django_capture_on_commit_callbacks
):
    request, _links = sent
    sign(_links["jane@example.com"], "Jane Buyer")
    sent_to = []
    for day in range(2, 20):
        _count, links = remind_run(days_later(day + 0.1), django_capture_on_commit_callbacks)
        sent_to.extend(links)
    # Jane signed, so only Robert, on days 2, 4 and 6.
    assert sent_to == ["robert@example.com"] * MAX_REMINDERS
    assert Signer.objects.get(email="robert@example.com").reminders_sent == MAX_REMINDERS


def test_a_cancelled_request_sends_no_reminders(sent, api_for, django_capture_on_commit_callbacks):
    request, _links = sent
    assert (
        api_for("agent").post(reverse("signing-request-cancel", args=[request.pk])).status_code
        == 200
    )
    assert remind_run(days_later(3), django_capture_on_commit_callbacks) == (0, {})


def test_every_signer_gets_the_signed_copy_and_certificate(
    sent, django_capture_on_commit_callbacks
):
    request, links = sent
    sign(links["jane@example.com"], "Jane Buyer")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sign(links["robert@example.com"], "Robert Seller")
    request.refresh_from_db()
    assert request.status == SigningStatus.COMPLETED
    assert sorted(message.to[0] for message in mail.outbox) == [
        "jane@example.com",
        "robert@example.com",
    ]
    message = mail.outbox[0]
    assert message.subject == "Signed: Purchase agreement"
    names = [name for name, _content, _type in message.attachments]
    assert names == [f"{request.reference}-signed.pdf", f"{request.reference}-certificate.pdf"]
    with request.signed_file.open("rb") as stored:
        assert message.attachments[0][1] == stored.read()


# ---------- pages and API ----------


@pytest.mark.parametrize(
    ("name", "code", "cancelled"),
    [
        ("agent", 302, True),
        ("broker", 302, True),
        ("colleague", 404, False),
        ("stranger", 404, False),
        ("viewer", 404, False),
    ],
)
def test_cancel_from_the_page_per_persona(client_for, sent, name, code, cancelled):
    request, _links = sent
    response = client_for(name).post(reverse("transactions:signing-cancel", args=[request.pk]))
    assert response.status_code == code
    request.refresh_from_db()
    assert (request.status == SigningStatus.CANCELLED) is cancelled


@pytest.mark.parametrize(
    ("name", "code", "reminded"),
    [("agent", 302, True), ("colleague", 404, False), ("stranger", 404, False)],
)
def test_remind_from_the_page_per_persona(
    client_for, sent, name, code, reminded, django_capture_on_commit_callbacks
):
    request, _links = sent
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(name).post(reverse("transactions:signing-remind", args=[request.pk]))
    assert response.status_code == code
    assert (len(mail.outbox) == 2) is reminded
    assert (len(mail.outbox) == 0) is not reminded


def test_documents_page_offers_remind_and_cancel_while_waiting(client_for, sent, deal):
    request, _links = sent
    url = reverse("transactions:documents", args=[deal.pk])
    html = client_for("agent").get(url).content.decode()
    assert reverse("transactions:signing-cancel", args=[request.pk]) in html
    assert reverse("transactions:signing-remind", args=[request.pk]) in html
    SigningRequest.objects.filter(pk=request.pk).update(status=SigningStatus.CANCELLED)
    html = client_for("agent").get(url).content.decode()
    assert reverse("transactions:signing-cancel", args=[request.pk]) not in html


@pytest.mark.parametrize(("name", "code"), [("agent", 200), ("colleague", 404), ("stranger", 404)])
def test_api_remind_per_persona(api_for, sent, name, code, django_capture_on_commit_callbacks):
    request, _links = sent
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(name).post(reverse("signing-request-remind", args=[request.pk]))
    assert response.status_code == code
    assert len(mail.outbox) == (2 if code == 200 else 0)


def test_api_remind_of_a_finished_request_says_why(api_for, sent):
    request, _links = sent
    SigningRequest.objects.filter(pk=request.pk).update(status=SigningStatus.CANCELLED)
    response = api_for("agent").post(reverse("signing-request-remind", args=[request.pk]))
    assert response.status_code == 400
    assert "waiting for signatures" in str(response.json())
