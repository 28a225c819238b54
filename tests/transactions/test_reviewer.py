"""Document reviewers: people the broker names to review every deal's documents with them."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from agents.models import Agent
from realestate.permissions import CHANGE, restrict
from tests.transactions.test_documents import deal, document, milestone
from transactions.choices import ReviewState
from transactions.models import CommissionStatement, Transaction
from transactions.models.documents import Document
from transactions.selectors import review_queue
from transactions.services.documents import document_review

pytestmark = pytest.mark.django_db
__all__ = ["deal", "document", "milestone"]


def name_reviewer(persona):
    """The persona's user, fresh from the database, after the broker names them a reviewer."""
    Agent.objects.filter(pk=persona.pk).update(reviews_documents=True)
    return type(persona.user).objects.get(pk=persona.user.pk)


@pytest.fixture
def reviewer(personas):
    """The colleague, named a document reviewer: they work none of the agent's deals."""
    return name_reviewer(personas.colleague)


def test_a_reviewer_sees_every_deal_of_the_brokerage_and_changes_none(deal, personas):
    assert not restrict(Transaction.objects.all(), personas.colleague.user).exists()
    reviewer = name_reviewer(personas.colleague)
    assert list(restrict(Transaction.objects.all(), reviewer)) == [deal]
    assert not restrict(Transaction.objects.all(), reviewer, CHANGE).exists()


def test_a_reviewer_reviews_documents_of_deals_they_do_not_work(reviewer, document, milestone):
    assert list(review_queue(user=reviewer)) == [document]
    document_review(document=document, approve=False, note="Initial page 3", actor=reviewer)
    milestone.refresh_from_db()
    assert milestone.review_state == ReviewState.RETURNED
    assert Document.objects.get(pk=document.pk).reviewed_by == reviewer


def test_an_agent_not_named_reviewer_cannot_review(document, personas):
    with pytest.raises(PermissionDenied):
        document_review(document=document, approve=True, note="", actor=personas.colleague.user)
    assert review_queue(user=personas.colleague.user).count() == 0


def test_a_viewer_named_reviewer_still_reviews_nothing(document, personas):
    viewer = name_reviewer(personas.viewer)
    with pytest.raises(PermissionDenied):
        document_review(document=document, approve=True, note="", actor=viewer)
    assert not restrict(Transaction.objects.all(), viewer).exists()


def test_a_reviewer_of_another_brokerage_sees_nothing(document, personas):
    stranger = name_reviewer(personas.stranger)
    assert review_queue(user=stranger).count() == 0
    with pytest.raises(PermissionDenied):
        document_review(document=document, approve=True, note="", actor=stranger)


def test_a_reviewer_does_not_see_commission_statements(reviewer):
    assert not restrict(CommissionStatement.objects.all(), reviewer).exists()


def test_reviewer_pages(client, reviewer, deal, document):
    client.force_login(reviewer)
    queue = client.get(reverse("transactions:review-queue"))
    assert queue.status_code == 200
    assert document.title in queue.content.decode()
    assert (
        client.get(reverse("transactions:document-download", args=[document.pk])).status_code == 200
    )
    assert client.get(deal.get_absolute_url()).status_code == 200
    assert client.get(reverse("transactions:edit", args=[deal.pk])).status_code == 403
    response = client.post(
        reverse("transactions:document-review", args=[document.pk]), {"decision": "approve"}
    )
    assert response.status_code == 302
    assert Document.objects.get(pk=document.pk).review_state == ReviewState.APPROVED
    # Reviewing is not working the deal: its stage does not move.
    response = client.post(
        reverse("transactions:stage", args=[deal.pk]), {"stage": "under_contract"}
    )
    assert response.status_code in (403, 404)
    assert Transaction.objects.get(pk=deal.pk).stage == deal.stage


def test_reviewer_api(reviewer, document):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(reviewer)
    listed = api.get(reverse("deal-document-list")).json()["results"]
    assert [row["id"] for row in listed] == [document.pk]
    response = api.post(
        reverse("deal-document-review", args=[document.pk]), {"approve": True}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["review_state"] == ReviewState.APPROVED
