"""The Fair Housing scanner against a table of phrases from HUD's advertising guidance."""

import pytest

from compliance.models import FairHousingRule
from compliance.models.fair_housing import ProtectedClass
from compliance.phrases import PhraseError, phrase_pattern
from compliance.services.fair_housing import (
    fair_housing_rule_save,
    fair_housing_rules_ensure,
    fair_housing_scan,
)

RACE = ProtectedClass.RACE
COLOR = ProtectedClass.COLOR
RELIGION = ProtectedClass.RELIGION
SEX = ProtectedClass.SEX
HANDICAP = ProtectedClass.HANDICAP
FAMILIAL = ProtectedClass.FAMILIAL_STATUS
ORIGIN = ProtectedClass.NATIONAL_ORIGIN
ACCEPTABLE = None

# (text, the protected class it must be flagged for, or ACCEPTABLE: never flagged)
PHRASES = [
    # Familial status
    ("Adults only community", FAMILIAL),
    ("Quiet adult-only building", FAMILIAL),
    ("No children allowed.", FAMILIAL),
    ("No kids please", FAMILIAL),
    ("No minors.", FAMILIAL),
    ("no teenagers", FAMILIAL),
    ("No babies or toddlers", FAMILIAL),
    ("Sorry, no families.", FAMILIAL),
    ("Children not allowed in the pool area", FAMILIAL),
    ("Kids are not welcome", FAMILIAL),
    ("Not suitable for children", FAMILIAL),
    ("One child only", FAMILIAL),
    ("No more than two children", FAMILIAL),
    ("A child-free building", FAMILIAL),
    ("Perfect for a couple", FAMILIAL),
    ("Ideal for couples", FAMILIAL),
    ("Great for singles", FAMILIAL),
    ("Couples only", FAMILIAL),
    ("Married couples preferred", FAMILIAL),
    ("Singles only", FAMILIAL),
    ("Ideal for a single professional", FAMILIAL),
    ("Empty nesters will love it", FAMILIAL),
    ("Mature couple preferred", FAMILIAL),
    ("Perfect for retirees", FAMILIAL),
    ("Seniors only", FAMILIAL),
    ("No strollers in the lobby", FAMILIAL),
    ("Adults preferred", FAMILIAL),
    ("No pregnant women", FAMILIAL),
    # Race
    ("Whites only", RACE),
    ("No blacks", RACE),
    ("In a white neighborhood", RACE),
    ("African-American neighborhood", RACE),
    ("Caucasian family preferred", RACE),
    ("Predominantly white area", RACE),
    ("Racially restricted subdivision", RACE),
    ("Integrated neighborhood", RACE),
    ("No minorities", RACE),
    ("White family home", RACE),
    ("Black neighborhood", RACE),
    # Color
    ("Light-skinned applicants", COLOR),
    ("Dark skinned tenants need not apply", COLOR),
    ("No people of color", COLOR),
    ("No colored people", COLOR),
    # Religion
    ("Christian home", RELIGION),
    ("Christians only", RELIGION),
    ("Christian family preferred", RELIGION),
    ("Jewish neighborhood", RELIGION),
    ("Muslim family", RELIGION),
    ("Catholic preferred", RELIGION),
    ("No Muslims", RELIGION),
    ("Church-going tenants", RELIGION),
    ("God-fearing family", RELIGION),
    ("Mormon neighborhood", RELIGION),
    ("Hindus only", RELIGION),
    ("No Jews", RELIGION),
    ("Churchgoers welcome", RELIGION),
    # Sex
    ("Female only", SEX),
    ("Men only", SEX),
    ("Ladies preferred", SEX),
    ("No men", SEX),
    ("Perfect for a single woman", SEX),
    ("Ideal for a bachelor", SEX),
    ("Male tenant wanted", SEX),
    ("Women only building", SEX),
    ("Gentlemen only", SEX),
    ("No single mothers", SEX),
    # Handicap
    ("No wheelchairs", HANDICAP),
    ("Wheelchairs not permitted", HANDICAP),
    ("No handicapped", HANDICAP),
    ("Not suitable for handicapped persons", HANDICAP),
    ("Able-bodied tenants", HANDICAP),
    ("Must be able to climb stairs", HANDICAP),
    ("Physically fit residents", HANDICAP),
    ("Must be ambulatory", HANDICAP),
    ("Mentally ill need not apply", HANDICAP),
    ("No blind tenants", HANDICAP),
    ("No service animals", HANDICAP),
    ("No emotional support animals", HANDICAP),
    ("No alcoholics", HANDICAP),
    ("Crippled", HANDICAP),
    ("Must be in good health", HANDICAP),
    ("Must be able to live independently", HANDICAP),
    ("No disabled", HANDICAP),
    # National origin
    ("English only", ORIGIN),
    ("English-speaking tenants", ORIGIN),
    ("Must speak English", ORIGIN),
    ("No foreigners", ORIGIN),
    ("Americans only", ORIGIN),
    ("US citizens only", ORIGIN),
    ("No Irish", ORIGIN),
    ("Hispanic neighborhood", ORIGIN),
    ("Mexicans preferred", ORIGIN),
    ("Ethnic neighborhood", ORIGIN),
    ("No immigrants", ORIGIN),
    ("Korean neighborhood", ORIGIN),
    # What the guidance calls acceptable, and everyday listing words
    ("Spacious master bedroom with en-suite bath", ACCEPTABLE),
    ("Large family room with fireplace", ACCEPTABLE),
    ("Walk-in closets", ACCEPTABLE),
    ("Walking distance to shops", ACCEPTABLE),
    ("Walk to the bus stop", ACCEPTABLE),
    ("Jogging trails nearby", ACCEPTABLE),
    ("Great view", ACCEPTABLE),
    ("Fourth-floor walk-up", ACCEPTABLE),
    ("Non-smoking building", ACCEPTABLE),
    ("No smoking", ACCEPTABLE),
    ("Sober living", ACCEPTABLE),
    ("Kosher kitchen nearby", ACCEPTABLE),
    ("Kosher meals available", ACCEPTABLE),
    ("Apartment complex with chapel", ACCEPTABLE),
    ("Near St. Mary's Catholic church", ACCEPTABLE),
    ("Catholic school nearby", ACCEPTABLE),
    ("Jewish Community Center two blocks away", ACCEPTABLE),
    ("Walking distance to Temple Beth El", ACCEPTABLE),
    ("Near the mosque and the synagogue", ACCEPTABLE),
    ("Mother-in-law suite", ACCEPTABLE),
    ("Bachelor apartment", ACCEPTABLE),
    ("His and hers closets", ACCEPTABLE),
    ("Man cave in the basement", ACCEPTABLE),
    ("Single family home", ACCEPTABLE),
    ("Perfect for single-level living", ACCEPTABLE),
    ("Perfect for single family living", ACCEPTABLE),
    ("Single-story ranch", ACCEPTABLE),
    ("Garage perfect for a couple of cars", ACCEPTABLE),
    ("55+ community", ACCEPTABLE),
    ("Senior discount available", ACCEPTABLE),
    ("No pets", ACCEPTABLE),
    ("No bicycles allowed in the hallway", ACCEPTABLE),
    ("Quiet street", ACCEPTABLE),
    ("Cozy one-bedroom", ACCEPTABLE),
    ("Great schools nearby", ACCEPTABLE),
    ("Playground and park nearby", ACCEPTABLE),
    ("Nursery off the master bedroom", ACCEPTABLE),
    ("Wheelchair ramp at the entry", ACCEPTABLE),
    ("Wheelchair accessible", ACCEPTABLE),
    ("Handicap-accessible bathroom", ACCEPTABLE),
    ("Accessible parking", ACCEPTABLE),
    ("White picket fence", ACCEPTABLE),
    ("Black granite counters and white cabinets", ACCEPTABLE),
    ("Corner of Christiansen Road", ACCEPTABLE),
    ("On Christian Street", ACCEPTABLE),
    ("English Tudor with an English garden", ACCEPTABLE),
    ("French doors", ACCEPTABLE),
    ("Spanish tile roof", ACCEPTABLE),
    ("Italian marble", ACCEPTABLE),
    ("No Chinese drywall", ACCEPTABLE),
    ("No black mold", ACCEPTABLE),
    ("Irish pub down the street", ACCEPTABLE),
    ("No minor repairs needed", ACCEPTABLE),
    ("Children's playroom", ACCEPTABLE),
    ("Perfect for entertaining", ACCEPTABLE),
    ("Ideal for a home office", ACCEPTABLE),
    ("Perfect for a growing family", ACCEPTABLE),
    ("Mature trees", ACCEPTABLE),
    ("No HOA", ACCEPTABLE),
    ("Sunny family home near the park.", ACCEPTABLE),
    ("Two blocks to the Lutheran church", ACCEPTABLE),
    ("Elevator building", ACCEPTABLE),
    ("No blinds included", ACCEPTABLE),
    ("Cripple Creek views", ACCEPTABLE),
]

# The table is scored as a whole: the rules may be refined, but never below these.
MIN_PRECISION = 0.95
MIN_RECALL = 0.95


def test_the_phrase_table_is_big_enough_and_has_both_kinds():
    flagged = [text for text, expected in PHRASES if expected is not ACCEPTABLE]
    acceptable = [text for text, expected in PHRASES if expected is ACCEPTABLE]
    assert len(PHRASES) >= 100
    assert len(flagged) >= 50 and len(acceptable) >= 40
    assert {expected for _, expected in PHRASES} - {None} == {
        RACE,
        COLOR,
        RELIGION,
        SEX,
        HANDICAP,
        FAMILIAL,
        ORIGIN,
    }


def test_precision_and_recall_over_the_hud_phrase_table(personas):
    true_positives, false_positives, false_negatives, misses = 0, 0, 0, []
    for text, expected in PHRASES:
        classes = {f.protected_class for f in fair_housing_scan(text=text, brokerage=None)}
        if expected is ACCEPTABLE:
            if classes:
                false_positives += 1
                misses.append((text, "flagged", classes))
        elif expected in classes:
            true_positives += 1
        else:
            false_negatives += 1
            misses.append((text, "missed", classes))
    precision = true_positives / (true_positives + false_positives)
    recall = true_positives / (true_positives + false_negatives)
    assert precision >= MIN_PRECISION, misses
    assert recall >= MIN_RECALL, misses


@pytest.mark.parametrize(
    "text, found",
    [
        ("Christians only", ["Christians only"]),
        ("Ideal for the Christian's home", ["Christian's home"]),
        ("Ideal for the Christian\u2019s home", ["Christian\u2019s home"]),
        ("Sorry, no childrens toys", ["no childrens"]),
        ("NO  CHILDREN", ["NO  CHILDREN"]),
        ("adults-only pool", ["adults-only"]),
        ("adults\nonly", ["adults\nonly"]),
        ("a no-children policy", ["no-children"]),
        ("no kidding, a great deal", []),
        ("Christiansen Rd", []),
        ("nochildren", []),
        ("snow children", []),
        ("perfect for single-family living", []),
    ],
)
def test_matching_on_word_edges_with_inflections(personas, text, found):
    assert [f.text for f in fair_housing_scan(text=text, brokerage=None)] == found


def test_findings_give_class_reason_span_and_rewrite(personas):
    text = "Lovely 2-bed condo. Adults only; perfect for a couple!"
    findings = fair_housing_scan(text=text, brokerage=None)
    assert [(f.start, f.end) for f in findings] == [(20, 31), (33, 53)]
    assert [text[f.start : f.end] for f in findings] == ["Adults only", "perfect for a couple"]
    first = findings[0]
    assert first.protected_class == FAMILIAL
    assert first.class_name == "Familial status"
    assert "children" in first.reason
    assert "55+ community" in first.suggestion
    assert first.rule_id == FairHousingRule.objects.get(phrase=first.phrase, brokerage=None).pk


def test_a_clean_text_has_no_findings(personas):
    assert fair_housing_scan(text="", brokerage=None) == []
    assert fair_housing_scan(text="Sunny 3-bed ranch, fenced yard.", brokerage=None) == []


def test_a_brokerage_rule_applies_to_that_brokerage_only(personas):
    rule = fair_housing_rule_save(
        rule=FairHousingRule(
            phrase="no section 8",
            protected_class=ProtectedClass.SOURCE_OF_INCOME,
            reason="Our state protects source of income.",
            suggestion="Remove it.",
        ),
        actor=personas.broker.user,
    )
    assert rule.brokerage_id == personas.brokerage.pk
    text = "No Section-8, no exceptions."
    ours = fair_housing_scan(text=text, brokerage=personas.brokerage)
    assert [(f.text, f.class_name) for f in ours] == [("No Section-8", "Source of income")]
    assert fair_housing_scan(text=text, brokerage=personas.other_brokerage) == []

    rule.is_active = False
    fair_housing_rule_save(rule=rule, actor=personas.broker.user)
    assert fair_housing_scan(text=text, brokerage=personas.brokerage) == []


def test_a_brokerage_rule_may_name_its_own_class(personas):
    rule = fair_housing_rule_save(
        rule=FairHousingRule(
            phrase="no vouchers/voucher holders",
            protected_class=ProtectedClass.OTHER,
            class_label="Housing assistance (city ordinance)",
            reason="The city protects voucher holders.",
            suggestion="Remove it.",
        ),
        actor=personas.broker.user,
    )
    found = fair_housing_scan(text="No voucher holders", brokerage=personas.brokerage)
    assert [f.class_name for f in found] == ["Housing assistance (city ordinance)"]
    assert rule.class_name == "Housing assistance (city ordinance)"


def test_an_agent_cannot_add_rules_and_a_broker_cannot_change_built_in_ones(personas):
    from django.core.exceptions import PermissionDenied

    new = FairHousingRule(phrase="no pets", protected_class="other", class_label="x", reason="r")
    with pytest.raises(PermissionDenied):
        fair_housing_rule_save(rule=new, actor=personas.agent.user)
    builtin = FairHousingRule.objects.get(phrase="no children", brokerage=None)
    builtin.is_active = False
    with pytest.raises(PermissionDenied):
        fair_housing_rule_save(rule=builtin, actor=personas.broker.user)
    assert FairHousingRule.objects.get(pk=builtin.pk).is_active


@pytest.mark.parametrize(
    "phrase", ["", "perfect? couple", "no (children)", "!of", "no kids_", "a__b", "no //"]
)
def test_a_phrase_that_is_not_words_is_refused(phrase):
    with pytest.raises(PhraseError):
        phrase_pattern(phrase)


def test_built_in_rules_are_ensured_without_undoing_a_deactivation(db):
    rule = FairHousingRule.objects.get(phrase="no children", brokerage=None)
    rule.is_active = False
    rule.reason = "changed by hand"
    rule.save()
    FairHousingRule.objects.filter(phrase="white only", brokerage=None).delete()
    fair_housing_rules_ensure()
    rule.refresh_from_db()
    assert not rule.is_active
    assert rule.reason != "changed by hand"
    assert FairHousingRule.objects.filter(phrase="white only", brokerage=None).exists()
    assert FairHousingRule.objects.filter(brokerage=None).count() >= 80


def test_a_hyphen_in_a_phrase_matches_a_space_or_a_hyphen(personas):
    fair_housing_rule_save(
        rule=FairHousingRule(
            phrase="pet-free",
            protected_class=ProtectedClass.OTHER,
            class_label="Test",
            reason="r",
            suggestion="s",
        ),
        actor=personas.broker.user,
    )
    found = fair_housing_scan(text="A pet free and pet-free home", brokerage=personas.brokerage)
    assert [f.text for f in found] == ["pet free", "pet-free"]
