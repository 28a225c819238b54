"""The broker's back office for Fair Housing rules, overrides and scans."""

import pytest
from django.urls import reverse

from compliance.models import FairHousingRule
from compliance.services.fair_housing import fair_housing_scan


def rule_form(**overrides):
    data = {
        "phrase": "no section 8/voucher",
        "protected_class": "source_of_income",
        "class_label": "",
        "reason": "Our state protects source of income.",
        "suggestion": "Remove it.",
        "is_active": "on",
    }
    data.update(overrides)
    return data


@pytest.fixture
def their_rule(personas):
    return FairHousingRule.objects.create(
        brokerage=personas.other_brokerage,
        phrase="no students",
        protected_class="other",
        class_label="Student status",
        reason="City ordinance.",
        suggestion="Remove it.",
    )


def test_a_broker_adds_a_state_rule_for_the_brokerage(client_for, personas):
    response = client_for("broker").post(
        reverse("admin:compliance_fairhousingrule_add"), rule_form()
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    rule = FairHousingRule.objects.get(brokerage__isnull=False)
    assert rule.brokerage == personas.brokerage
    found = fair_housing_scan(text="No Section 8 tenants", brokerage=personas.brokerage)
    assert [f.class_name for f in found] == ["Source of income"]


def test_a_rule_with_a_phrase_that_is_not_words_is_refused(client_for, personas):
    response = client_for("broker").post(
        reverse("admin:compliance_fairhousingrule_add"), rule_form(phrase="no (kids)")
    )
    assert response.status_code == 200
    assert "phrase" in response.context["adminform"].form.errors
    assert not FairHousingRule.objects.filter(brokerage__isnull=False).exists()


def test_a_rule_of_another_class_needs_its_name(client_for, personas):
    response = client_for("broker").post(
        reverse("admin:compliance_fairhousingrule_add"), rule_form(protected_class="other")
    )
    assert response.status_code == 200
    assert "class_label" in response.context["adminform"].form.errors


def test_the_broker_sees_built_in_rules_and_their_own_but_not_another_brokerages(
    client_for, personas, their_rule
):
    response = client_for("broker").get(
        reverse("admin:compliance_fairhousingrule_changelist"), {"q": "no"}
    )
    assert response.status_code == 200
    shown = list(response.context["cl"].queryset)
    assert their_rule not in shown
    assert any(rule.brokerage_id is None for rule in shown)
    url = reverse("admin:compliance_fairhousingrule_change", args=[their_rule.pk])
    assert client_for("broker").get(url).status_code == 302  # not found: back to the index


def test_built_in_rules_are_read_only_to_the_broker(client_for):
    builtin = FairHousingRule.objects.get(phrase="no children", brokerage=None)
    url = reverse("admin:compliance_fairhousingrule_change", args=[builtin.pk])
    client = client_for("broker")
    response = client.get(url)
    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    client.post(url, rule_form(phrase="no children", is_active=""))
    builtin.refresh_from_db()
    assert builtin.is_active
    delete = reverse("admin:compliance_fairhousingrule_delete", args=[builtin.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert FairHousingRule.objects.filter(pk=builtin.pk).exists()


@pytest.mark.parametrize("persona", ["agent", "viewer", "stranger"])
def test_members_who_are_not_brokers_have_no_back_office(client_for, persona):
    response = client_for(persona).get(reverse("admin:compliance_fairhousingrule_changelist"))
    assert response.status_code == 302
    assert reverse("admin:login") in response.url


@pytest.mark.parametrize(
    "name",
    ["fairhousingoverride", "fairhousingscanrun", "fairhousingscanlisting"],
)
def test_the_broker_reads_overrides_and_scans_in_the_back_office(client_for, name):
    response = client_for("broker").get(reverse(f"admin:compliance_{name}_changelist"))
    assert response.status_code == 200
