"""The compliance start page: an agent's own registers, every register for the broker."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

URL = reverse("compliance:home")


@pytest.mark.parametrize(
    ("name", "code", "sees_broker_registers"),
    [
        ("agent", 200, False),
        ("assistant", 200, False),
        ("broker", 200, True),
        ("stranger", 200, False),
        ("anonymous", 302, False),
    ],
)
def test_compliance_home_per_persona(client_for, name, code, sees_broker_registers):
    response = client_for(name).get(URL)
    assert response.status_code == code
    if code == 200:
        html = response.content.decode()
        assert reverse("compliance:licence-list") in html
        assert (reverse("compliance:retention") in html) is sees_broker_registers
        assert (reverse("compliance:fair-housing-runs") in html) is sees_broker_registers


def test_someone_outside_any_brokerage_is_refused(client, django_user_model):
    client.force_login(django_user_model.objects.create(username="outsider"))
    assert client.get(URL).status_code == 403


def test_compliance_link_is_in_the_navigation(client_for):
    html = client_for("agent").get(reverse("dashboard")).content.decode()
    assert f'href="{URL}"' in html
