"""Listing description drafts written from the listing's own facts, in a few tones, with no
outside service; each is checked by the Fair Housing scanner before an agent copies it."""

from dataclasses import dataclass, field

from django.db import models

from realestate.formatting import money


class DescriptionTone(models.TextChoices):
    CLASSIC = "classic", "Classic"
    CONCISE = "concise", "Concise"
    LUXURY = "luxury", "Luxury"


@dataclass(frozen=True)
class DescriptionDraft:
    """One draft: its tone, text and the Fair Housing findings in it."""

    tone: str
    label: str
    text: str
    findings: list = field(default_factory=list)

    @property
    def blocked(self):
        return bool(self.findings)

    def as_dict(self):
        return {
            "tone": self.tone,
            "label": self.label,
            "text": self.text,
            "findings": [
                {**finding.as_dict(), "message": finding.message} for finding in self.findings
            ],
        }


# Words for the home's type, by RESO PropertySubType, then PropertyType.
HOME_WORDS = {
    "SingleFamilyResidence": "single-family home",
    "Condominium": "condominium",
    "Townhouse": "townhouse",
    "Duplex": "duplex",
    "Triplex": "triplex",
    "Quadruplex": "fourplex",
    "ManufacturedHome": "manufactured home",
    "MobileHome": "mobile home",
    "Cabin": "cabin",
    "Farm": "farm",
    "Ranch": "ranch",
    "UnimprovedLand": "lot",
    "Residential": "home",
    "ResidentialIncome": "income property",
    "Land": "parcel of land",
    "CommercialSale": "commercial property",
    "ResidentialLease": "rental home",
}


def _home_word(listing):
    return HOME_WORDS.get(listing.property_sub_type) or HOME_WORDS.get(
        listing.property_type, "home"
    )


def _count(number, word):
    return f"{number} {word}{'' if number == 1 else 's'}"


def _series(items):
    """``["a", "b", "c"]`` → ``"a, b and c"``."""
    items = [item for item in items if item]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _article(phrase):
    return f"an {phrase}" if phrase[:1].lower() in "aeiou" else f"a {phrase}"


@dataclass(frozen=True)
class Facts:
    """The listing's facts in words, each empty when the listing does not say."""

    home: str
    city: str
    rooms: list  # ["3 bedrooms", "2 bathrooms"]
    area: str  # "1,800 square feet"
    lot: str  # "a 0.25-acre lot"
    built: str  # "built in 1998"
    garage: str  # "a 2-car garage"
    highlights: list  # pool, view, waterfront, fireplace
    features: list  # from the feature lists, a few
    price: str


def listing_facts(listing):
    """What the drafts say, read from the listing's fields."""
    rooms = []
    if listing.bedrooms_total:
        rooms.append(_count(listing.bedrooms_total, "bedroom"))
    baths = listing.bathrooms_total_integer
    if baths:
        rooms.append(_count(baths, "bathroom"))
    area = f"{listing.living_area:,} square feet" if listing.living_area else ""
    if listing.lot_size_acres:
        lot = f"a {listing.lot_size_acres.normalize():f}-acre lot"
    elif listing.lot_size_square_feet:
        lot = f"a {listing.lot_size_square_feet:,} sq ft lot"
    else:
        lot = ""
    highlights = []
    if listing.pool_private_yn:
        highlights.append("a private pool")
    if listing.waterfront_yn:
        highlights.append("waterfront setting")
    if listing.view_yn or listing.view:
        views = [value.lower() for value in listing.view[:2] if value]
        highlights.append(f"{_series(views)} views" if views else "views")
    if listing.fireplace_yn:
        highlights.append("a fireplace")
    features = []
    for values in (listing.interior_features, listing.exterior_features, listing.appliances):
        # RESO lookups write plurals as "Closet(s)": a sentence wants "closets".
        features += [str(value).replace("(s)", "s").strip() for value in values[:2]]
        features = [feature for feature in features if feature]
    return Facts(
        home=_home_word(listing),
        city=listing.city,
        rooms=rooms,
        area=area,
        lot=lot,
        built=f"built in {listing.year_built}" if listing.year_built else "",
        garage=f"a {listing.garage_spaces}-car garage" if listing.garage_spaces else "",
        highlights=highlights,
        features=[feature.lower() for feature in features[:5]],
        price=money(listing.list_price),
    )


def _classic(facts):
    sentences = []
    opening = f"Welcome to this {facts.home} in {facts.city}" if facts.city else "Welcome home"
    if facts.rooms:
        opening += f", with {_series(facts.rooms)}"
    sentences.append(opening + ".")
    size = []
    if facts.area:
        size.append(f"{facts.area} of living space")
    if facts.lot:
        size.append(f"sits on {facts.lot}")
    if size:
        sentences.append(
            f"It offers {size[0]}" + (f" and {size[1]}" if len(size) > 1 else "") + "."
        )
    if facts.built:
        sentences.append(f"The home was {facts.built}.")
    if facts.highlights:
        sentences.append(f"Enjoy {_series(facts.highlights)}.")
    if facts.features:
        sentences.append(f"Features include {_series(facts.features)}.")
    if facts.garage:
        sentences.append(f"Parking is easy with {facts.garage}.")
    if facts.price:
        sentences.append(f"Offered at {facts.price}. Schedule your showing today.")
    return " ".join(sentences)


def _concise(facts):
    parts = [f"{facts.home.capitalize()} in {facts.city}" if facts.city else facts.home]
    parts += [_series(facts.rooms), facts.area, facts.lot, facts.built, facts.garage]
    parts += facts.highlights[:2]
    text = ". ".join(part[:1].upper() + part[1:] for part in parts if part) + "."
    if facts.price:
        text += f" {facts.price}."
    return text


def _luxury(facts):
    sentences = []
    where = f" in {facts.city}" if facts.city else ""
    sentences.append(f"An exceptional {facts.home}{where}, crafted for refined everyday living.")
    detail = [*facts.rooms, f"{facts.area} of elegant interiors" if facts.area else ""]
    if any(detail):
        sentences.append(f"Discover {_series(detail)}.")
    if facts.lot:
        sentences.append(f"The residence is set on {facts.lot}.")
    if facts.highlights:
        sentences.append(f"Savor {_series(facts.highlights)}.")
    if facts.features:
        sentences.append(f"Appointments include {_series(facts.features)}.")
    if facts.garage:
        sentences.append(f"{_article(facts.garage[2:]).capitalize()} completes the picture.")
    if facts.built:
        sentences.append(f"Thoughtfully {facts.built}.")
    if facts.price:
        sentences.append(f"Presented at {facts.price}. Private showings by appointment.")
    return " ".join(sentences)


WRITERS = {
    DescriptionTone.CLASSIC: _classic,
    DescriptionTone.CONCISE: _concise,
    DescriptionTone.LUXURY: _luxury,
}


def description_drafts(*, listing):
    """A draft of public remarks in each tone, from the listing's facts, each with the Fair
    Housing findings of the brokerage's rules (a draft with findings must be reworded)."""
    from compliance.services.fair_housing import fair_housing_scan

    facts = listing_facts(listing)
    drafts = []
    for tone, write in WRITERS.items():
        text = write(facts)
        drafts.append(
            DescriptionDraft(
                tone=tone.value,
                label=tone.label,
                text=text,
                findings=fair_housing_scan(text=text, brokerage=listing.brokerage_id),
            )
        )
    return drafts
