"""Clients in and out as files: CSV import with bad rows reported, duplicates, exports, vCards."""

import csv
import io
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clients.choices import RoutingMethod, RoutingOutcome
from clients.imports import (
    clients_export_csv,
    clients_import_csv,
    csv_table_read,
    import_mapping_suggest,
)
from clients.models import Client, RoutingRule
from clients.vcards import clients_export_vcard, clients_import_vcard
from tests.testing.factories import make_client

pytestmark = pytest.mark.django_db

HEADER = "First Name,Surname,E-mail,Mobile,City,Zip,Stage,Tags,Lead Source,Do Not Call\n"
GOOD_AND_BAD = (
    HEADER
    + "Ana,Lopez,ana@example.com,217-555-0101,Springfield,62701,Qualified,investor;vip,Zillow,no\n"
    + "Bo,Bad,not-an-email,12,Springfield,62701,new,,,\n"
    + "\n"
    + "Cy,Chen,cy@example.com,,Chatham,62629,Sleeping,,,maybe\n"
    + "Di,Diaz,di@example.com,(217) 555-0104,Peoria,61602,,,,yes\n"
)


def read(text):
    return csv_table_read(text.encode())


def suggested(table):
    return import_mapping_suggest(table.headers)


def import_text(text, actor, **options):
    table = read(text)
    return clients_import_csv(table=table, mapping=suggested(table), actor=actor, **options)


def test_column_names_are_matched_to_client_fields():
    table = read(HEADER)
    assert suggested(table) == {
        "First Name": "first_name",
        "Surname": "last_name",
        "E-mail": "email",
        "Mobile": "phone",
        "City": "city",
        "Zip": "postal_code",
        "Stage": "stage",
        "Tags": "tags",
        "Lead Source": "source",
        "Do Not Call": "do_not_call",
    }


def test_good_rows_are_kept_and_bad_rows_reported_by_line(personas):
    report = import_text(GOOD_AND_BAD, personas.agent.user)

    assert [o.label for o in report.created] == ["line 2", "line 6"]
    failed = {o.label: o.errors for o in report.failed}
    assert set(failed) == {"line 3", "line 5"}
    assert set(failed["line 3"]) == {"email", "phone"}
    assert set(failed["line 5"]) == {"stage", "do_not_call"}
    assert "Unknown stage “Sleeping”." in failed["line 5"]["stage"]
    ana = Client.objects.get(email="ana@example.com")
    assert (ana.phone, ana.stage, ana.assigned_agent) == (
        "+12175550101",
        "qualified",
        personas.agent,
    )
    assert sorted(ana.tags.values_list("name", flat=True)) == ["investor", "vip"]
    assert ana.source.name == "Zillow" and not ana.do_not_call
    assert Client.objects.get(email="di@example.com").do_not_call


def test_a_row_repeating_an_earlier_row_is_a_duplicate(personas):
    text = HEADER + "Ana,Lopez,ana@example.com,,,,,,,\nAnna,Lopez,ANA@example.com,,,,,,,\n"

    report = import_text(text, personas.agent.user)

    assert len(report.created) == 1
    assert report.skipped[0].label == "line 3"
    assert report.skipped[0].message == "Same email as line 2: skipped."


def test_a_repeated_row_updates_the_first_when_asked(personas):
    text = HEADER + "Ana,Lopez,ana@example.com,,,,,,,\nAna,Lopez,ana@example.com,,Peoria,,,,,\n"

    report = import_text(text, personas.agent.user, on_duplicate="update")

    assert (len(report.created), len(report.updated)) == (1, 1)
    assert Client.objects.get().city == "Peoria"


def test_a_row_with_a_known_clients_phone_is_skipped(personas):
    existing = make_client(personas.agent.user, phone="2175550101", city="Springfield")
    text = HEADER + "Ana,Lopez,new@example.com,+1 217 555 0101,Peoria,,,,,\n"

    report = import_text(text, personas.agent.user)

    assert report.skipped[0].message == f"Same phone as your client {existing.name}: skipped."
    assert Client.objects.count() == 1


def test_a_known_client_is_updated_when_asked(personas):
    existing = make_client(personas.agent.user, email="ana@example.com", tags=["past client"])
    text = HEADER + "Ana,Lopez,ana@example.com,,Peoria,,,vip,,\n"

    report = import_text(text, personas.agent.user, on_duplicate="update")

    assert [o.client_id for o in report.updated] == [existing.pk]
    existing.refresh_from_db()
    assert (existing.first_name, existing.city) == ("Ana", "Peoria")
    assert sorted(existing.tags.values_list("name", flat=True)) == ["past client", "vip"]


def test_a_colleagues_private_client_is_skipped_without_naming_them(personas):
    make_client(personas.colleague.user, first_name="Secret", email="ana@example.com")
    text = HEADER + "Ana,Lopez,ana@example.com,,,,,,,\n"

    report = import_text(text, personas.agent.user, on_duplicate="update")

    message = report.skipped[0].message
    assert "do not see" in message and "Secret" not in message
    assert Client.objects.count() == 1


def test_a_dry_run_keeps_nothing(personas):
    report = import_text(GOOD_AND_BAD, personas.agent.user, dry_run=True)
    assert (len(report.created), len(report.failed)) == (2, 2)
    assert not Client.objects.exists()


def test_a_broker_may_route_the_imported_clients(personas):
    rule = RoutingRule.objects.create(
        brokerage=personas.brokerage, name="Imports", method=RoutingMethod.ROUND_ROBIN
    )
    rule.agents.set([personas.colleague])

    report = import_text(GOOD_AND_BAD, personas.broker.user, route=True)

    clients = Client.objects.filter(pk__in=[o.client_id for o in report.created])
    assert {client.assigned_agent for client in clients} == {personas.colleague}
    assert all(c.routing_decisions.get().outcome == RoutingOutcome.ASSIGNED for c in clients)


def test_an_agent_may_not_route_nor_a_viewer_import(personas):
    with pytest.raises(PermissionDenied):
        import_text(GOOD_AND_BAD, personas.agent.user, route=True)
    with pytest.raises(PermissionDenied):
        import_text(GOOD_AND_BAD, personas.viewer.user)


def test_a_mapping_must_make_sense(personas):
    table = read(HEADER)
    with pytest.raises(ValidationError) as twice:
        clients_import_csv(
            table=table,
            mapping={"E-mail": "email", "Mobile": "email"},
            actor=personas.agent.user,
        )
    assert "Email is chosen for both" in twice.value.messages[0]
    with pytest.raises(ValidationError):
        clients_import_csv(table=table, mapping={"City": "city"}, actor=personas.agent.user)
    with pytest.raises(ValidationError):
        clients_import_csv(table=table, mapping={"Nope": "email"}, actor=personas.agent.user)


def test_semicolons_windows_encoding_and_full_names_are_read(personas):
    content = "Name;Email\r\nJosé Álvarez;jose@example.com\r\nDoe, Jane;jane@example.com\r\n"
    table = csv_table_read(content.encode("cp1252"))

    report = clients_import_csv(table=table, mapping=suggested(table), actor=personas.agent.user)

    assert len(report.created) == 2
    names = set(Client.objects.values_list("first_name", "last_name"))
    assert names == {("José", "Álvarez"), ("Jane", "Doe")}


def test_an_unreadable_file_is_refused():
    with pytest.raises(ValidationError):
        csv_table_read(b"")


# ---------- export ----------


def exported(lines):
    return list(csv.DictReader(io.StringIO("".join(lines))))


def test_the_export_holds_only_the_clients_the_agent_may_see(personas):
    mine = make_client(personas.agent.user, first_name="Mine")
    shared = make_client(personas.colleague.user, first_name="Shared", co_agents=[personas.agent])
    make_client(personas.colleague.user, first_name="Private")
    make_client(personas.stranger.user, first_name="Elsewhere")

    rows = exported(clients_export_csv(queryset=Client.objects.all(), user=personas.agent.user))

    assert {row["First name"] for row in rows} == {"Mine", "Shared"}
    assert {int(row["ID"]) for row in rows} == {mine.pk, shared.pk}


def test_the_export_never_writes_a_formula(personas):
    make_client(personas.agent.user, first_name="=HYPERLINK(1)", phone="+12175550101")
    row = exported(clients_export_csv(queryset=Client.objects.all(), user=personas.agent.user))[0]
    assert row["First name"] == "'=HYPERLINK(1)"
    assert row["Phone"] == "+12175550101"


def test_an_export_imports_back_into_another_brokerage(personas):
    make_client(personas.agent.user, first_name="Ana", phone="2175550101", tags=["vip"])
    lines = clients_export_csv(queryset=Client.objects.all(), user=personas.agent.user)
    table = csv_table_read("".join(lines).encode())

    report = clients_import_csv(table=table, mapping=suggested(table), actor=personas.stranger.user)

    assert len(report.created) == 1, report.as_dict()
    copy = Client.objects.get(brokerage=personas.other_brokerage)
    assert (copy.first_name, copy.phone) == ("Ana", "+12175550101")
    assert list(copy.tags.values_list("name", flat=True)) == ["vip"]


EXPORT_PAGE = reverse("clients:export-csv")


@pytest.mark.parametrize(
    ("persona", "names"),
    [
        ("agent", {"Mine"}),
        ("colleague", {"Theirs"}),
        ("broker", {"Mine", "Theirs"}),
        ("viewer", set()),
        ("stranger", {"Elsewhere"}),
    ],
)
def test_the_export_page_follows_who_may_see_what(client_for, personas, persona, names):
    make_client(personas.agent.user, first_name="Mine")
    make_client(personas.colleague.user, first_name="Theirs")
    make_client(personas.stranger.user, first_name="Elsewhere")

    response = client_for(persona).get(EXPORT_PAGE)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert {row["First name"] for row in csv.DictReader(io.StringIO(text))} == names


def test_the_export_page_applies_the_list_filters(client_for, personas):
    make_client(personas.agent.user, first_name="Keen", stage="qualified")
    make_client(personas.agent.user, first_name="Cold", stage="lost")

    response = client_for("agent").get(EXPORT_PAGE + "?stage=qualified")

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert [row["First name"] for row in csv.DictReader(io.StringIO(text))] == ["Keen"]


def test_the_export_page_asks_the_anonymous_visitor_to_sign_in(client_for):
    response = client_for("anonymous").get(EXPORT_PAGE)
    assert response.status_code == 302


def test_the_api_exports_visible_clients_as_csv(api_for, personas):
    make_client(personas.agent.user, first_name="Mine")
    make_client(personas.colleague.user, first_name="Theirs")

    response = api_for("agent").get(reverse("client-export-csv"), HTTP_ACCEPT="text/csv")

    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert [row["First name"] for row in csv.DictReader(io.StringIO(text))] == ["Mine"]
    assert api_for("anonymous").get(reverse("client-export-csv")).status_code == 401


# ---------- vCards ----------


def test_vcards_go_out_and_come_back_the_same(personas):
    ana = make_client(
        personas.agent.user,
        first_name="Ana",
        last_name="Lopez",
        email="ana@example.com",
        alternate_email="ana.work@example.com",
        phone="2175550101",
        street_address="1 Elm St",
        city="Springfield",
        state_or_province="IL",
        postal_code="62701",
        notes="Prefers mornings",
        tags=["vip"],
    )
    content = "".join(clients_export_vcard(queryset=Client.objects.all(), user=personas.agent.user))
    assert content.count("BEGIN:VCARD") == 1

    report = clients_import_vcard(content=content.encode(), actor=personas.stranger.user)

    assert len(report.created) == 1, report.as_dict()
    copy = Client.objects.get(brokerage=personas.other_brokerage)
    fields = [
        "first_name",
        "last_name",
        "email",
        "alternate_email",
        "phone",
        "street_address",
        "city",
        "state_or_province",
        "postal_code",
        "notes",
    ]
    assert [getattr(copy, f) for f in fields] == [getattr(ana, f) for f in fields]
    assert list(copy.tags.values_list("name", flat=True)) == ["vip"]


VCARDS = """BEGIN:VCARD
VERSION:3.0
N:Lopez;Ana;;;
FN:Ana Lopez
EMAIL;TYPE=INTERNET:ana@example.com
END:VCARD
BEGIN:VCARD
VERSION:3.0
N:Bad;Bo;;;
FN:Bo Bad
TEL;TYPE=CELL:12
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN Without a colon
this line is not a vcard line
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Cy Chen
TEL:(217) 555-0103
END:VCARD
"""


def test_bad_cards_are_reported_and_good_ones_kept(personas):
    report = clients_import_vcard(content=VCARDS.encode(), actor=personas.agent.user)

    assert [o.label for o in report.created] == ["card 1", "card 4"]
    failed = {o.label: o for o in report.failed}
    assert set(failed) == {"card 2", "card 3"}
    assert "phone" in failed["card 2"].errors
    assert failed["card 3"].message.startswith("The card cannot be read")
    cy = Client.objects.get(phone="+12175550103")
    assert (cy.first_name, cy.last_name) == ("Cy", "Chen")


def test_a_file_without_cards_is_refused(personas):
    with pytest.raises(ValidationError):
        clients_import_vcard(content=b"hello", actor=personas.agent.user)


def test_one_client_is_exported_as_a_vcard(client_for, personas):
    ana = make_client(personas.agent.user, first_name="Ana")
    response = client_for("agent").get(reverse("clients:vcard", args=[ana.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/vcard")
    assert b"FN:Ana" in b"".join(response.streaming_content)
    assert client_for("colleague").get(reverse("clients:vcard", args=[ana.pk])).status_code == 404
    assert client_for("stranger").get(reverse("clients:vcard", args=[ana.pk])).status_code == 404


def test_a_selection_is_exported_as_vcards(client_for, personas):
    ana = make_client(personas.agent.user, first_name="Ana")
    make_client(personas.agent.user, first_name="Bo")
    response = client_for("agent").get(reverse("clients:export-vcf") + f"?id={ana.pk}")
    content = b"".join(response.streaming_content)
    assert content.count(b"BEGIN:VCARD") == 1 and b"FN:Ana" in content


# ---------- the import pages ----------

UPLOAD = reverse("clients:import")
COLUMNS = reverse("clients:import-map")


def csv_upload(text=GOOD_AND_BAD, name="clients.csv"):
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("agent", 200),
        ("colleague", 200),
        ("assistant", 200),
        ("broker", 200),
        ("stranger", 200),
        ("viewer", 403),
    ],
)
def test_who_may_open_the_import_page(client_for, persona, status):
    assert client_for(persona).get(UPLOAD).status_code == status


def test_the_import_page_asks_the_anonymous_visitor_to_sign_in(client_for):
    response = client_for("anonymous").get(UPLOAD)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_only_a_broker_is_offered_routing(client_for):
    assert "route" in client_for("broker").get(UPLOAD).context["form"].fields
    assert "route" not in client_for("agent").get(UPLOAD).context["form"].fields


def test_a_csv_is_uploaded_matched_previewed_and_imported(client_for, personas):
    browser = client_for("agent")

    uploaded = browser.post(UPLOAD, {"file": csv_upload(), "on_duplicate": "skip"})
    assert uploaded.status_code == 302 and uploaded.url == COLUMNS

    columns = browser.get(COLUMNS)
    assert columns.status_code == 200
    form = columns.context["form"]
    assert form.initial["column_2"] == "email"
    preview = columns.context["preview"]
    assert [o.status for o in preview.outcomes] == ["created", "failed", "failed", "created"]
    assert "<td>ana@example.com</td>" in columns.content.decode()
    assert not Client.objects.exists()

    mapping = dict(form.initial)
    mapping["column_9"] = ""  # leave "Do Not Call" out
    result = browser.post(COLUMNS, {**mapping, "action": "import"})

    assert result.status_code == 200
    page = result.content.decode()
    assert "Line 3" in page and "Email: Enter a valid email address." in page
    assert Client.objects.filter(assigned_agent=personas.agent).count() == 2
    assert browser.get(COLUMNS).status_code == 302  # the stored file is gone


def test_a_bad_mapping_is_shown_next_to_the_columns(client_for):
    browser = client_for("agent")
    browser.post(UPLOAD, {"file": csv_upload(), "on_duplicate": "skip"})

    response = browser.post(COLUMNS, {"column_2": "email", "column_3": "email", "action": "import"})

    assert response.status_code == 400
    assert "Email is chosen for both" in response.content.decode()
    assert not Client.objects.exists()


def test_a_vcard_file_is_imported_at_once(client_for, personas):
    upload = SimpleUploadedFile("contacts.vcf", VCARDS.encode(), content_type="text/vcard")

    response = client_for("agent").post(UPLOAD, {"file": upload, "on_duplicate": "skip"})

    assert response.status_code == 200
    assert "Card 3" in response.content.decode()
    assert Client.objects.count() == 2


def test_an_unreadable_upload_is_refused_on_the_form(client_for):
    upload = SimpleUploadedFile("empty.csv", b"\n\n", content_type="text/csv")
    response = client_for("agent").post(UPLOAD, {"file": upload, "on_duplicate": "skip"})
    assert response.status_code == 400
    assert response.context["form"].errors["file"]


def test_the_columns_page_without_a_file_goes_back_to_the_upload(client_for):
    response = client_for("agent").get(COLUMNS)
    assert response.status_code == 302 and response.url == UPLOAD


# ---------- the import API ----------

API_IMPORT = reverse("client-import")


def test_the_api_imports_a_csv_and_reports_bad_rows(api_for, personas):
    response = api_for("agent").post(
        API_IMPORT,
        {"file": csv_upload(), "mapping": json.dumps(suggested(read(HEADER)))},
        format="multipart",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["total"]) == (2, 4)
    assert [row["row"] for row in body["failed"]] == ["line 3", "line 5"]
    assert set(body["failed"][0]["errors"]) == {"email", "phone"}


def test_the_api_guesses_the_mapping_and_can_dry_run(api_for):
    response = api_for("agent").post(
        API_IMPORT, {"file": csv_upload(), "dry_run": "true"}, format="multipart"
    )
    body = response.json()
    assert body["dry_run"] and body["mapping"]["E-mail"] == "email"
    assert not Client.objects.exists()


def test_the_api_imports_vcards(api_for):
    upload = SimpleUploadedFile("contacts.vcf", VCARDS.encode())
    response = api_for("agent").post(API_IMPORT, {"file": upload}, format="multipart")
    assert response.json()["created"] == 2


@pytest.mark.parametrize(("persona", "status"), [("viewer", 403), ("anonymous", 401)])
def test_the_api_import_refuses_viewers_and_the_anonymous(api_for, persona, status):
    response = api_for(persona).post(API_IMPORT, {"file": csv_upload()}, format="multipart")
    assert response.status_code == status
    assert not Client.objects.exists()


def test_the_api_refuses_a_mapping_that_is_not_json(api_for):
    response = api_for("agent").post(
        API_IMPORT, {"file": csv_upload(), "mapping": "email"}, format="multipart"
    )
    assert response.status_code == 400 and "mapping" in response.json()


@pytest.mark.parametrize(("persona", "status"), [("viewer", 403), ("anonymous", 302)])
def test_the_columns_page_is_closed_to_viewers_and_the_anonymous(client_for, persona, status):
    assert client_for(persona).get(COLUMNS).status_code == status
    assert client_for(persona).post(COLUMNS, {"action": "import"}).status_code == status


def test_abandoned_uploads_are_swept_after_a_day(client_for):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    old = default_storage.save("client-imports/1000-abandoned.csv", ContentFile(b"Email\n"))
    client_for("agent").post(UPLOAD, {"file": csv_upload(), "on_duplicate": "skip"})
    assert not default_storage.exists(old)
    assert len(default_storage.listdir("client-imports")[1]) == 1


def test_the_api_exports_vcards_of_visible_clients(api_for, personas):
    make_client(personas.agent.user, first_name="Mine")
    make_client(personas.colleague.user, first_name="Theirs")

    response = api_for("agent").get(reverse("client-export-vcf"))

    content = b"".join(response.streaming_content)
    assert content.count(b"BEGIN:VCARD") == 1 and b"FN:Mine" in content
    assert api_for("anonymous").get(reverse("client-export-vcf")).status_code == 401
