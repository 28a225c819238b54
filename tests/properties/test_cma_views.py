"""The CMA pages and the PDF report, for every persona."""

import shutil
import subprocess
from decimal import Decimal

import pytest
from PIL import Image

from properties.cma import cma_run, cma_save
from properties.models import CMA
from realestate.formatting import money
from tests.properties.sales import AS_OF, make_sales, subject_features
from tests.testing.factories import make_client

pytestmark = pytest.mark.django_db

RUN_URL = "/listings/cma/new/"
SAVE_URL = "/listings/cma/save/"
LIST_URL = "/listings/cma/"
BROKERAGE_A = ("agent", "colleague", "assistant", "viewer", "broker")


def form_query(**extra):
    features = subject_features()
    query = {
        "living_area": features["LivingArea"],
        "bedrooms": features["BedroomsTotal"],
        "bathrooms": features["BathroomsTotalInteger"],
        "year_built": features["YearBuilt"],
        "lot_size": features["LotSizeSquareFeet"],
        "latitude": features["Latitude"],
        "longitude": features["Longitude"],
        "property_type": "Residential",
        "address": "12 Test Street",
        "as_of": AS_OF.isoformat(),
    }
    query.update(extra)
    return query


@pytest.fixture
def sales(personas):
    return make_sales(personas.agent.user)


@pytest.fixture
def saved(personas, sales):
    run = cma_run(user=personas.agent.user, as_of=AS_OF, features=subject_features())
    return cma_save(run=run, user=personas.agent.user, client=make_client(personas.agent.user))


@pytest.mark.parametrize("name", BROKERAGE_A)
def test_members_run_a_cma_and_see_every_comp_explained(client_for, sales, name):
    response = client_for(name).get(RUN_URL, form_query())

    assert response.status_code == 200
    result = response.context["result"]
    assert result["estimate"]
    assert sum(Decimal(c["contribution"]) for c in result["comparables"]) == Decimal(
        result["estimate"]
    )
    html = response.content.decode()
    assert 'id="cma-comps"' in html
    assert money(result["estimate"], 2) in html
    for comp in result["comparables"]:
        assert money(comp["adjusted_price"], 2) in html


def test_excluded_comp_is_left_out_on_rerun(client_for, sales):
    client = client_for("agent")
    first = client.get(RUN_URL, form_query()).context["result"]["comparables"][0]["property"]
    again = client.get(RUN_URL, form_query(exclude=str(first))).context["result"]
    assert first not in {c["property"] for c in again["comparables"]}


def test_form_without_subject_names_the_missing_fields(client_for, sales):
    response = client_for("agent").get(RUN_URL, {"as_of": AS_OF.isoformat()})
    assert response.context["result"] is None
    assert "living_area" in response.context["form"].errors


def test_stranger_cannot_value_another_brokerages_listing(client_for, sales):
    response = client_for("stranger").get(RUN_URL, form_query(listing=sales[0].pk))
    assert response.context["result"] is None
    assert "listing" in response.context["form"].errors


def test_anonymous_is_sent_to_login(client_for, saved):
    for url in (RUN_URL, LIST_URL, f"/listings/cma/{saved.pk}/", f"/listings/cma/{saved.pk}/pdf/"):
        response = client_for("anonymous").get(url)
        assert response.status_code == 302 and "/login" in response["Location"]


def test_agent_saves_a_cma_with_client_and_listing(client_for, personas, sales):
    client = make_client(personas.agent.user)
    response = client_for("agent").post(
        SAVE_URL, {**form_query(), "client": client.pk, "save_listing": sales[0].pk}
    )
    cma = CMA.objects.get()
    assert response.status_code == 302 and response["Location"] == cma.get_absolute_url()
    assert cma.client == client and cma.listing == sales[0]
    assert cma.title == "12 Test Street"


@pytest.mark.parametrize("name", ("viewer", "anonymous"))
def test_who_may_not_save_saves_nothing(client_for, sales, name):
    response = client_for(name).post(SAVE_URL, form_query())
    assert response.status_code in (302, 403)
    assert not CMA.objects.exists()


def test_colleague_cannot_save_onto_anothers_client(client_for, personas, sales):
    client = make_client(personas.agent.user)
    client_for("colleague").post(SAVE_URL, {**form_query(), "client": client.pk})
    assert not CMA.objects.exists()


@pytest.mark.parametrize(
    ("name", "status"),
    (("agent", 200), ("broker", 200), ("colleague", 404), ("viewer", 404), ("stranger", 404)),
)
def test_saved_cma_is_private_to_its_owner_and_the_broker(client_for, saved, name, status):
    assert client_for(name).get(f"/listings/cma/{saved.pk}/").status_code == status
    assert client_for(name).get(f"/listings/cma/{saved.pk}/pdf/").status_code == status


def test_list_shows_own_cmas_in_fixed_queries(
    client_for, personas, saved, django_assert_max_num_queries
):
    client = client_for("agent")
    client.get(LIST_URL)
    with django_assert_max_num_queries(12):
        response = client.get(LIST_URL)
    assert [c.pk for c in response.context["object_list"]] == [saved.pk]
    assert list(client_for("colleague").get(LIST_URL).context["object_list"]) == []


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils (pdftoppm)")
def test_pdf_renders_a_page_that_is_not_blank(client_for, saved, tmp_path):
    response = client_for("agent").get(f"/listings/cma/{saved.pk}/pdf/")

    assert response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "cma.pdf"
    pdf.write_bytes(response.content)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", pdf, tmp_path / "page"], check=True
    )
    image = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    dark = sum(count for value, count in enumerate(image.histogram()) if value < 200)
    assert dark > image.width * image.height * 0.02
    text = subprocess.run(
        ["pdftotext", pdf, "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Maple Realty" in text
    assert "Recommended price" in text
    assert saved.result["comparables"][0]["address"].split(",")[0] in text


def test_broker_reads_saved_cmas_in_the_admin(client_for, saved):
    response = client_for("broker").get("/admin/properties/cma/")
    assert response.status_code == 200
    assert saved.title in response.content.decode()
    assert client_for("agent").get("/admin/properties/cma/").status_code == 302
    assert client_for("broker").get("/admin/properties/cma/add/").status_code == 403
