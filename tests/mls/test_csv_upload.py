"""A CSV export uploaded by a broker (API or back office) becomes the feed of a CSV provider."""

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from mls.choices import ProviderKind, RunKind, RunState
from mls.models import MLSProvider, SyncError, SyncRun
from properties.models import Property
from tests.mls.test_admin import form_data
from tests.testing.factories import make_mls_provider

pytestmark = pytest.mark.django_db(transaction=True)

GOOD = (
    "MLS #,Modified,Status,Price,City,Zip,Photos\n"
    "C-1,2026-04-01T10:00:00Z,Active,410000,Camden,04843,\n"
    "C-2,2026-04-02T10:00:00Z,Closed,389000,Rockport,04856,\n"
    ",2026-04-03T10:00:00Z,Active,299000,Hope,04847,\n"
    "C-4,not a date,Active,520000,Camden,04843,\n"
)
MAPPING = {
    "MLS #": "ListingKey",
    "Modified": "ModificationTimestamp",
    "Status": "StandardStatus",
    "Price": "ListPrice",
    "Zip": "PostalCode",
    "Photos": "MediaURLs",
}


def csv_file(text=GOOD, name="export.csv"):
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


@pytest.fixture
def provider(personas):
    return make_mls_provider(
        personas.brokerage,
        name="Past sales",
        kind=ProviderKind.CSV,
        endpoint="",
        feed_file=csv_file("ListingKey,ModificationTimestamp\n"),
        field_mapping=MAPPING,
    )


def upload_url(provider):
    return f"/api/v1/mls/providers/{provider.pk}/upload/"


def test_an_uploaded_csv_is_synced_keeping_good_rows_and_reporting_bad_ones_by_line(
    api_for, provider
):
    old_name = provider.feed_file.name
    response = api_for("broker").post(
        upload_url(provider), {"file": csv_file()}, format="multipart"
    )

    assert response.status_code == 202, response.data
    run = SyncRun.objects.get(pk=response.data["id"])
    assert (run.kind, run.state) == (RunKind.FULL, RunState.SUCCEEDED), run.message
    assert run.created == 2 and run.failed == 2
    listings = Property.objects.filter(mls_provider=provider).order_by("listing_key")
    assert [(row.listing_key, row.standard_status, row.city) for row in listings] == [
        ("C-1", "Active", "Camden"),
        ("C-2", "Closed", "Rockport"),
    ]
    reasons = sorted(SyncError.objects.filter(run=run).values_list("listing_key", flat=True))
    assert reasons == ["line 4", "line 5"]
    provider.refresh_from_db()
    assert provider.feed_file.name != old_name and provider.feed_file.name.endswith(".csv")
    assert "export" not in provider.feed_file.name  # stored under a generated name
    assert not default_storage.exists(old_name)


def test_the_api_says_a_file_is_stored_but_never_gives_it_out(api_for, provider):
    data = api_for("broker").get(f"/api/v1/mls/providers/{provider.pk}/").data

    assert data["has_feed_file"] is True
    assert provider.feed_file.name not in str(data)


def test_a_file_without_key_columns_is_refused_and_nothing_changes(api_for, provider):
    old_name = provider.feed_file.name
    response = api_for("broker").post(
        upload_url(provider), {"file": csv_file("Price,City\n100,Camden\n")}, format="multipart"
    )

    assert response.status_code == 400
    assert "ListingKey" in str(response.data["feed_file"])
    provider.refresh_from_db()
    assert provider.feed_file.name == old_name
    assert not SyncRun.objects.filter(provider=provider).exists()


def test_a_reso_feed_takes_no_upload(api_for, personas):
    reso = make_mls_provider(personas.brokerage, name="Bright MLS")
    response = api_for("broker").post(upload_url(reso), {"file": csv_file()}, format="multipart")

    assert response.status_code == 400
    assert "feed_file" in response.data


@pytest.mark.parametrize(
    ("persona", "status"), [("agent", 403), ("viewer", 403), ("stranger", 403), ("anonymous", 401)]
)
def test_only_the_brokerages_broker_may_upload(api_for, provider, persona, status):
    response = api_for(persona).post(upload_url(provider), {"file": csv_file()}, format="multipart")

    assert response.status_code == status
    assert not Property.objects.filter(mls_provider=provider).exists()


def test_a_broker_of_another_brokerage_gets_404(api_for, provider, personas):
    from agents.choices import Role
    from agents.services.people import agent_set_role

    agent_set_role(agent=personas.stranger, role=Role.BROKER)
    response = api_for("stranger").post(
        upload_url(provider), {"file": csv_file()}, format="multipart"
    )

    assert response.status_code == 404
    assert not Property.objects.filter(mls_provider=provider).exists()


def test_a_broker_uploads_in_the_back_office_and_the_sync_is_queued(client_for, provider):
    client = client_for("broker")
    url = reverse("admin:mls_mlsprovider_change", args=[provider.pk])
    data = form_data(client, url)
    data.pop("feed_file", None)
    data["feed_file"] = csv_file()

    response = client.post(url, data, follow=True)

    assert response.status_code == 200
    assert "its sync is queued" in response.content.decode()
    assert Property.objects.filter(mls_provider=provider).count() == 2


def test_the_back_office_refuses_a_file_that_is_not_a_feed(client_for, provider):
    client = client_for("broker")
    url = reverse("admin:mls_mlsprovider_change", args=[provider.pk])
    data = form_data(client, url)
    data["feed_file"] = csv_file("Price,City\n100,Camden\n")

    response = client.post(url, data)

    assert response.status_code == 200
    assert "ListingKey" in str(response.context["adminform"].form.errors["feed_file"])
    assert not SyncRun.objects.filter(provider=provider).exists()


def test_a_csv_provider_needs_a_url_or_a_file(personas):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        MLSProvider(
            brokerage=personas.brokerage, name="Nothing", kind=ProviderKind.CSV, endpoint=""
        ).full_clean()
    assert "endpoint" in error.value.message_dict
