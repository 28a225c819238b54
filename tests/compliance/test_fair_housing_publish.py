"""Listings with Fair Housing findings are not published until fixed or approved by a broker."""

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from compliance.models import FairHousingOverride
from compliance.services.fair_housing import fair_housing_override_create, text_hash
from properties.models import Property
from properties.services import listing_update
from tests.testing.factories import listing_data, make_listing, make_mls_provider

FLAGGED = "Bright condo near the river. Adults only, perfect for a couple."
CLEAN = "Bright condo near the river, a short walk to the park."


def detail(listing):
    return reverse("properties:detail", args=[listing.pk])


def review_url(listing):
    return reverse("compliance:fair-housing-listing", args=[listing.pk])


@pytest.fixture
def draft(personas):
    """A listing not yet on the market whose remarks have findings."""
    return make_listing(personas.agent.user, standard_status="Incomplete", public_remarks=FLAGGED)


# ---------- the listing services ----------


def test_a_listing_with_findings_cannot_be_created_on_the_market(personas):
    with pytest.raises(ValidationError) as error:
        make_listing(personas.agent.user, public_remarks=FLAGGED)
    messages = error.value.message_dict["public_remarks"]
    assert any('"Adults only" (Familial status' in message for message in messages)
    assert any('"perfect for a couple"' in message for message in messages)
    assert not Property.objects.exists()


def test_a_draft_may_hold_findings_but_cannot_go_on_the_market(personas, draft):
    with pytest.raises(ValidationError) as error:
        listing_update(listing=draft, data={"standard_status": "Active"}, actor=personas.agent.user)
    assert "public_remarks" in error.value.message_dict
    draft.refresh_from_db()
    assert draft.standard_status == "Incomplete"


def test_fixed_remarks_may_go_on_the_market(personas, draft):
    listing_update(
        listing=draft,
        data={"standard_status": "Active", "public_remarks": CLEAN},
        actor=personas.agent.user,
    )
    draft.refresh_from_db()
    assert draft.standard_status == "Active"


def test_remarks_of_an_active_listing_cannot_be_changed_to_flagged_text(personas):
    listing = make_listing(personas.agent.user, public_remarks=CLEAN)
    with pytest.raises(ValidationError):
        listing_update(listing=listing, data={"public_remarks": FLAGGED}, actor=personas.agent.user)
    listing.refresh_from_db()
    assert listing.public_remarks == CLEAN


def test_an_active_listing_with_old_findings_can_still_change_its_price(personas, draft):
    Property.objects.filter(pk=draft.pk).update(standard_status="Active")
    draft.refresh_from_db()
    listing_update(listing=draft, data={"list_price": "1000"}, actor=personas.agent.user)


def test_mls_listings_are_not_blocked(personas):
    listing = make_listing(personas.agent.user, public_remarks=CLEAN)
    provider = make_mls_provider(personas.brokerage)
    Property.objects.filter(pk=listing.pk).update(
        source="mls", mls_provider=provider, public_remarks=FLAGGED
    )
    listing.refresh_from_db()
    listing_update(
        listing=listing, data={"list_agent": personas.colleague}, actor=personas.broker.user
    )
    listing.refresh_from_db()
    assert listing.list_agent == personas.colleague


def test_a_broker_override_lets_that_exact_text_be_published(personas, draft):
    override = fair_housing_override_create(
        text=FLAGGED, reason="Qualifying 55+ housing (HOPA).", actor=personas.broker.user
    )
    assert override.text_hash == text_hash(FLAGGED)
    assert [f["text"] for f in override.findings] == ["Adults only", "perfect for a couple"]
    listing_update(listing=draft, data={"standard_status": "Active"}, actor=personas.agent.user)
    with pytest.raises(ValidationError):
        listing_update(
            listing=draft, data={"public_remarks": FLAGGED + " "}, actor=personas.agent.user
        )


def test_an_override_of_another_brokerage_does_not_count(personas, draft):
    from agents.choices import Role
    from tests.testing.factories import make_agent

    other_broker = make_agent(personas.other_brokerage, Role.BROKER)
    fair_housing_override_create(text=FLAGGED, reason="Theirs.", actor=other_broker.user)
    with pytest.raises(ValidationError):
        listing_update(listing=draft, data={"standard_status": "Active"}, actor=personas.agent.user)


@pytest.mark.parametrize("persona", ["agent", "colleague", "assistant", "viewer", "stranger"])
def test_only_a_broker_can_override(personas, persona):
    with pytest.raises(PermissionDenied):
        fair_housing_override_create(
            text=FLAGGED, reason="Because.", actor=getattr(personas, persona).user
        )
    assert not FairHousingOverride.objects.exists()


def test_an_override_needs_a_reason_and_findings(personas):
    with pytest.raises(ValidationError) as error:
        fair_housing_override_create(text=FLAGGED, reason="  ", actor=personas.broker.user)
    assert "reason" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        fair_housing_override_create(text=CLEAN, reason="Why not.", actor=personas.broker.user)
    assert "text" in error.value.message_dict


def test_an_override_is_in_the_audit_log_with_the_broker(personas, client_for, draft):
    client_for("broker").post(review_url(draft), {"reason": "Qualifying 55+ housing."})
    override = FairHousingOverride.objects.get()
    entry = LogEntry.objects.get(
        content_type=ContentType.objects.get_for_model(FairHousingOverride),
        object_pk=str(override.pk),
    )
    assert entry.action == LogEntry.Action.CREATE
    assert entry.actor == personas.broker.user
    assert entry.changes["reason"] == ["None", "Qualifying 55+ housing."]


# ---------- the listing pages ----------


def test_the_edit_page_shows_each_finding_next_to_the_public_remarks(client_for, draft):
    from tests.properties.test_views import edit_form_data

    client = client_for("agent")
    data = edit_form_data(client, draft, standard_status="Active")
    response = client.post(reverse("properties:edit", args=[draft.pk]), data)
    assert response.status_code == 200
    errors = response.context["form"].errors["public_remarks"]
    assert any('"Adults only"' in error for error in errors)
    assert any('"perfect for a couple"' in error for error in errors)
    assert response.context["form"]["standard_status"].value() == "Active"  # kept as typed
    draft.refresh_from_db()
    assert draft.standard_status == "Incomplete"


def test_the_create_page_refuses_flagged_remarks_on_the_market(personas, client_for):
    from tests.properties.test_views import create_form_data

    response = client_for("agent").post(
        reverse("properties:create"), create_form_data(public_remarks=FLAGGED)
    )
    assert response.status_code == 200
    assert "public_remarks" in response.context["form"].errors
    assert FLAGGED in response.content.decode()  # nothing typed is lost
    assert not Property.objects.exists()


def test_the_listing_page_shows_findings_and_the_broker_approval_form(client_for, draft):
    agent_page = client_for("agent").get(detail(draft)).content.decode()
    assert "Adults only" in agent_page and "ask your broker" in agent_page
    assert review_url(draft) not in agent_page
    broker_page = client_for("broker").get(detail(draft)).content.decode()
    assert f'action="{review_url(draft)}"' in broker_page


def test_a_clean_listing_page_has_no_fair_housing_card(personas, client_for):
    listing = make_listing(personas.agent.user, public_remarks=CLEAN)
    assert 'id="fair-housing"' not in client_for("agent").get(detail(listing)).content.decode()


def test_the_broker_approves_from_the_listing_and_the_agent_can_publish(
    personas, client_for, draft
):
    response = client_for("broker").post(review_url(draft), {"reason": "HOPA 55+ community."})
    assert response.status_code == 302
    override = FairHousingOverride.objects.get()
    assert (override.listing, override.broker) == (draft, personas.broker.user)
    assert override.reason == "HOPA 55+ community."
    page = client_for("agent").get(detail(draft)).content.decode()
    assert "HOPA 55+ community." in page
    listing_update(listing=draft, data={"standard_status": "Active"}, actor=personas.agent.user)


def test_the_approval_form_needs_a_reason(client_for, draft):
    response = client_for("broker").post(review_url(draft), {"reason": ""})
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert not FairHousingOverride.objects.exists()


@pytest.mark.parametrize("persona", ["agent", "colleague", "assistant", "viewer"])
def test_members_who_are_not_the_broker_cannot_approve(client_for, draft, persona):
    response = client_for(persona).post(review_url(draft), {"reason": "Please."})
    assert response.status_code == 403
    assert not FairHousingOverride.objects.exists()


def test_a_stranger_gets_404_on_the_review_page(client_for, draft):
    client = client_for("stranger")
    assert client.get(review_url(draft)).status_code == 404
    assert client.post(review_url(draft), {"reason": "Mine."}).status_code == 404
    assert not FairHousingOverride.objects.exists()


def test_anonymous_is_sent_to_sign_in_from_the_review_page(client_for, draft):
    response = client_for("anonymous").post(review_url(draft), {"reason": "x"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not FairHousingOverride.objects.exists()


# ---------- the listing API ----------


def test_the_api_refuses_to_publish_with_a_field_error(api_for, draft):
    url = reverse("property-detail", args=[draft.pk])
    response = api_for("agent").patch(url, {"standard_status": "Active"}, format="json")
    assert response.status_code == 400
    assert any('"Adults only"' in message for message in response.data["public_remarks"])
    response = api_for("agent").post(
        reverse("property-list"), {**listing_data(public_remarks=FLAGGED)}, format="json"
    )
    assert response.status_code == 400
    assert "public_remarks" in response.data


def test_the_broker_overrides_through_the_api(personas, api_for, draft):
    url = reverse("fair-housing-override")
    body = {"text": FLAGGED, "reason": "HOPA 55+ community.", "listing": draft.pk}
    assert api_for("agent").post(url, body, format="json").status_code == 403
    assert api_for("anonymous").post(url, body, format="json").status_code in (401, 403)
    assert api_for("stranger").post(url, body, format="json").status_code == 403
    assert not FairHousingOverride.objects.exists()
    response = api_for("broker").post(url, body, format="json")
    assert response.status_code == 201, response.data
    assert response.data["listing"] == draft.pk
    assert len(response.data["findings"]) == 2
    patch = api_for("agent").patch(
        reverse("property-detail", args=[draft.pk]), {"standard_status": "Active"}, format="json"
    )
    assert patch.status_code == 200, patch.data


def test_the_api_override_of_another_brokerages_listing_is_404(personas, api_for):
    theirs = make_listing(
        personas.stranger.user, standard_status="Incomplete", public_remarks=FLAGGED
    )
    body = {"text": FLAGGED, "reason": "x", "listing": theirs.pk}
    response = api_for("broker").post(reverse("fair-housing-override"), body, format="json")
    assert response.status_code == 404
    assert not FairHousingOverride.objects.exists()


def test_members_read_the_review_page_but_only_the_broker_gets_the_form(client_for, draft):
    agent_page = client_for("agent").get(review_url(draft))
    assert agent_page.status_code == 200
    assert [f.text for f in agent_page.context["review"].findings] == [
        "Adults only",
        "perfect for a couple",
    ]
    assert "<textarea" not in agent_page.content.decode()
    assert "<textarea" in client_for("broker").get(review_url(draft)).content.decode()
