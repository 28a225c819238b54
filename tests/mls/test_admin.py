"""The MLS providers in the broker's back office: secrets are written, never shown back."""

import pytest
from django import forms
from django.urls import reverse

from mls.choices import AuthKind, ProviderKind
from mls.models import MLSProvider
from tests.testing.factories import make_mls_provider

pytestmark = pytest.mark.django_db

PASSWORD = "rets-pa55word-value"
SECRET = "s3cr3t-client-value"


@pytest.fixture
def rets_provider(personas):
    return make_mls_provider(
        personas.brokerage,
        name="Legacy MLS",
        kind=ProviderKind.RETS,
        endpoint="https://rets.example/login",
        auth_kind=AuthKind.LOGIN,
        username="crm-user",
        password=PASSWORD,
        search_class="RE_1",
    )


def change_url(provider):
    return reverse("admin:mls_mlsprovider_change", args=[provider.pk])


def form_data(client, url):
    """What a browser would post back from the admin page, unchanged (secrets left empty)."""
    form = client.get(url).context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field.widget, forms.PasswordInput):
            data[name] = ""  # the page never holds the stored value
        elif isinstance(field.widget, forms.FileInput):
            continue  # a file box left alone sends nothing
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = "" if value is None else value
    return data


def test_the_change_page_never_shows_the_password(client_for, rets_provider):
    response = client_for("broker").get(change_url(rets_provider))

    assert response.status_code == 200
    page = response.content.decode()
    assert PASSWORD not in page
    assert "crm-user" in page and "RE_1" in page
    assert 'name="password"' in page
    form = response.context["adminform"].form
    assert form.fields["password"].help_text == "Stored. Leave empty to keep it."


def test_a_blank_password_keeps_the_stored_one(client_for, rets_provider):
    client = client_for("broker")
    url = change_url(rets_provider)
    data = form_data(client, url)
    assert data["password"] == ""
    data["search_class"] = "Residential"

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    rets_provider.refresh_from_db()
    assert (rets_provider.search_class, rets_provider.password) == ("Residential", PASSWORD)


def test_a_new_password_replaces_the_stored_one(client_for, rets_provider):
    client = client_for("broker")
    url = change_url(rets_provider)
    data = form_data(client, url)
    data["password"] = "a-new-password"

    response = client.post(url, data)

    assert response.status_code == 302
    rets_provider.refresh_from_db()
    assert rets_provider.password == "a-new-password"


def test_a_feed_changed_from_rets_to_reso_drops_its_password(client_for, rets_provider):
    client = client_for("broker")
    url = change_url(rets_provider)
    data = form_data(client, url)
    data.update(
        kind=ProviderKind.RESO_WEB_API,
        endpoint="https://mls.example/odata",
        auth_kind=AuthKind.NONE,
        username="",
    )

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    rets_provider.refresh_from_db()
    assert (rets_provider.kind, rets_provider.username, rets_provider.password) == (
        ProviderKind.RESO_WEB_API,
        "",
        "",
    )


def test_the_client_secret_is_kept_the_same_way(client_for, personas):
    provider = make_mls_provider(
        personas.brokerage,
        auth_kind=AuthKind.OAUTH2,
        token_url="https://mls.example/token",
        client_id="crm",
        client_secret=SECRET,
    )
    client = client_for("broker")
    url = change_url(provider)
    assert SECRET not in client.get(url).content.decode()

    response = client.post(url, form_data(client, url))

    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.client_secret == SECRET


def test_a_rets_feed_without_username_is_refused_next_to_the_field(client_for, personas):
    client = client_for("broker")
    url = reverse("admin:mls_mlsprovider_add")
    data = form_data(client, url)
    data.update(
        name="Legacy MLS",
        kind=ProviderKind.RETS,
        endpoint="https://rets.example/login",
        auth_kind=AuthKind.LOGIN,
        password=PASSWORD,
    )

    response = client.post(url, data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"username"}
    assert PASSWORD not in response.content.decode()
    assert not MLSProvider.objects.exists()


def test_a_username_on_a_reso_feed_is_refused_next_to_the_field(client_for, personas):
    client = client_for("broker")
    url = reverse("admin:mls_mlsprovider_add")
    data = form_data(client, url)
    data.update(name="Bright MLS", endpoint="https://mls.example/odata", username="crm-user")

    response = client.post(url, data)

    assert response.status_code == 200
    assert set(response.context["adminform"].form.errors) == {"username"}
    assert not MLSProvider.objects.exists()
