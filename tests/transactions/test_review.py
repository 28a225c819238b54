"""The broker's review of deal documents and the review queue."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from tests.transactions.test_documents import contract_pdf, deal, document, milestone, pdf_upload
from transactions.choices import ReviewState
from transactions.models.deals import Milestone, Transaction
from transactions.models.documents import Document
from transactions.selectors import review_queue
from transactions.services.documents import document_review, document_upload

pytestmark = pytest.mark.django_db
__all__ = ["deal", "document", "milestone"]


def test_broker_approval_marks_the_item_approved(document, milestone, personas):
    document_review(document=document, approve=True, note="", actor=personas.broker.user)
    document.refresh_from_db()
    milestone.refresh_from_db()
    assert document.review_state == ReviewState.APPROVED
    assert document.reviewed_by == personas.broker.user
    assert document.reviewed_at is not None
    assert milestone.review_state == ReviewState.APPROVED


def test_broker_returns_with_a_note(document, milestone, personas):
    document_review(
        document=document,
        approve=False,
        note="Initials missing on page 2",
        actor=personas.broker.user,
    )
    milestone.refresh_from_db()
    document.refresh_from_db()
    assert milestone.review_state == ReviewState.RETURNED
    assert document.review_note == "Initials missing on page 2"


def test_returning_needs_a_note(document, milestone, personas):
    with pytest.raises(ValidationError) as caught:
        document_review(document=document, approve=False, note=" ", actor=personas.broker.user)
    assert "note" in caught.value.message_dict
    milestone.refresh_from_db()
    assert milestone.review_state == ReviewState.SUBMITTED


def test_a_new_version_after_return_is_submitted_again(document, deal, milestone, personas):
    document_review(document=document, approve=False, note="Unsigned", actor=personas.broker.user)
    document_upload(
        transaction=deal,
        milestone=milestone,
        upload=pdf_upload(data=contract_pdf(text="Signed agreement")),
        title="Purchase agreement",
        actor=personas.agent.user,
    )
    milestone.refresh_from_db()
    assert milestone.review_state == ReviewState.SUBMITTED


def test_a_document_is_reviewed_once(document, personas):
    document_review(document=document, approve=True, note="", actor=personas.broker.user)
    with pytest.raises(ValidationError, match="already been reviewed"):
        document_review(document=document, approve=False, note="No", actor=personas.broker.user)


@pytest.mark.parametrize("name", ["agent", "colleague", "assistant", "viewer", "stranger"])
def test_only_the_broker_reviews(document, milestone, personas, name):
    with pytest.raises(PermissionDenied):
        document_review(document=document, approve=True, note="", actor=personas.user(name))
    milestone.refresh_from_db()
    assert milestone.review_state == ReviewState.SUBMITTED


def test_review_queue_lists_only_the_brokers_brokerage(document, personas):
    from agents.choices import Role
    from tests.testing.factories import make_agent

    other_broker = make_agent(personas.other_brokerage, Role.BROKER)
    other_deal = Transaction.objects.create(
        brokerage=personas.other_brokerage,
        name="1 Harbor Way",
        side="listing",
        agent=personas.stranger,
    )
    foreign = document_upload(
        transaction=other_deal,
        milestone=None,
        upload=pdf_upload(),
        title="Listing agreement",
        actor=personas.stranger.user,
    )
    assert list(review_queue(user=personas.broker.user)) == [document]
    assert list(review_queue(user=other_broker.user)) == [foreign]
    assert list(review_queue(user=personas.agent.user)) == []


def test_review_queue_is_oldest_first_and_leaves_out_reviewed(document, deal, personas):
    second = document_upload(
        transaction=deal,
        milestone=None,
        upload=pdf_upload(),
        title="HOA",
        actor=personas.agent.user,
    )
    third = document_upload(
        transaction=deal,
        milestone=None,
        upload=pdf_upload(),
        title="Lead",
        actor=personas.agent.user,
    )
    document_review(document=second, approve=True, note="", actor=personas.broker.user)
    assert list(review_queue(user=personas.broker.user)) == [document, third]


# --- the review queue page ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "status"),
    [("broker", 200), ("agent", 403), ("colleague", 403), ("viewer", 403), ("stranger", 403)],
)
def test_review_queue_page_is_for_brokers(client_for, document, name, status):
    response = client_for(name).get(reverse("transactions:review-queue"))
    assert response.status_code == status
    if status == 200:
        assert "Purchase agreement" in response.content.decode()


def test_review_queue_page_redirects_anonymous(client_for):
    response = client_for("anonymous").get(reverse("transactions:review-queue"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_review_queue_page_hides_other_brokerages(client_for, personas, document):
    other_deal = Transaction.objects.create(
        brokerage=personas.other_brokerage,
        name="1 Harbor Way",
        side="listing",
        agent=personas.stranger,
    )
    document_upload(
        transaction=other_deal,
        milestone=None,
        upload=pdf_upload(),
        title="Secret listing agreement",
        actor=personas.stranger.user,
    )
    content = client_for("broker").get(reverse("transactions:review-queue")).content.decode()
    assert "Secret listing agreement" not in content


def test_review_queue_page_query_count_does_not_grow(
    client_for, personas, deal, django_assert_max_num_queries
):
    client = client_for("broker")
    url = reverse("transactions:review-queue")
    for number in range(30):
        step = Milestone.objects.create(transaction=deal, title=f"Item {number}")
        document_upload(
            transaction=deal,
            milestone=step,
            upload=pdf_upload(),
            title=f"Doc {number}",
            actor=personas.agent.user,
        )
    client.get(url)
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200
    assert response.context["page_obj"].paginator.count == 30
    assert len(response.context["documents"]) == 25
    assert client.get(url + "?page=2").context["page_obj"].object_list.__len__() == 5


def test_review_from_the_queue_page(client_for, document, milestone):
    response = client_for("broker").post(
        reverse("transactions:document-review", args=[document.pk]),
        {"decision": "return", "note": "Missing the seller's signature"},
    )
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert milestone.review_state == ReviewState.RETURNED


@pytest.mark.parametrize(
    ("name", "status"), [("agent", 302), ("colleague", 404), ("stranger", 404)]
)
def test_non_brokers_cannot_review_through_the_page(client_for, document, name, status):
    response = client_for(name).post(
        reverse("transactions:document-review", args=[document.pk]), {"decision": "approve"}
    )
    assert response.status_code in (status, 403)
    assert Document.objects.get(pk=document.pk).review_state == ReviewState.SUBMITTED
