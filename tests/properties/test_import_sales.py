"""manage.py import_sales: past sales through the "Imported sales" CSV feed."""

import pytest
from django.core.management import CommandError, call_command

from mls.models import MLSProvider
from properties.cma import IMPORTED_SALES_PROVIDER, cma_run
from properties.models import Property
from tests.properties.sales import AS_OF, subject_features

pytestmark = pytest.mark.django_db

RESO_HEADER = (
    "ListingKey,ClosePrice,CloseDate,LivingArea,BedroomsTotal,BathroomsTotalInteger,"
    "LotSizeSquareFeet,YearBuilt,GarageSpaces,PoolPrivateYN,WaterfrontYN,ViewYN,"
    "PropertyCondition,Latitude,Longitude,City,StateOrProvince,PostalCode,PropertyType,"
    "StreetName"
)


def sales_csv(tmp_path, count=10, header=RESO_HEADER, name="sales.csv"):
    lines = [header]
    for i in range(count):
        lines.append(
            f"S{i},{400000 + 5000 * i},2025-0{1 + i % 5}-15,{1600 + 30 * i},3,2,6000,1985,2,"
            f"{'true' if i == 0 else 'false'},false,{'Y' if i == 1 else 'N'},Updated/Remodeled,"
            f"47.60{i},-122.300,Seattle,WA,98101,Residential,Sale {i} St"
        )
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def test_reso_named_sales_load_as_closed_listings_and_serve_as_comps(tmp_path, personas):
    call_command("import_sales", str(sales_csv(tmp_path)), brokerage=personas.brokerage.slug)

    sales = Property.objects.filter(mls_provider__name=IMPORTED_SALES_PROVIDER)
    assert sales.count() == 10
    first = sales.get(listing_key="S0")
    assert first.standard_status == "Closed"
    assert first.brokerage == personas.brokerage
    assert str(first.close_price) == "400000.00"
    assert str(first.close_date) == "2025-01-15"
    assert first.pool_private_yn and not first.view_yn
    assert sales.get(listing_key="S1").view_yn
    assert first.property_condition == ["Updated/Remodeled"]
    provider = MLSProvider.objects.get(name=IMPORTED_SALES_PROVIDER)
    assert provider.kind == "csv" and not provider.enabled

    run = cma_run(user=personas.agent.user, as_of=AS_OF, features=subject_features())
    assert {c.sale.key for c in run.valuation.comparables} <= set(
        sales.values_list("pk", flat=True)
    )
    assert run.valuation.comparables
    assert not cma_run(
        user=personas.stranger.user, as_of=AS_OF, features=subject_features()
    ).valuation.comparables


def test_importing_the_same_file_again_changes_nothing(tmp_path, personas):
    path = sales_csv(tmp_path)
    call_command("import_sales", str(path), brokerage=personas.brokerage.slug)
    call_command("import_sales", str(path), brokerage=personas.brokerage.slug)
    assert Property.objects.count() == 10
    assert MLSProvider.objects.count() == 1


def test_other_column_names_take_a_mapping(tmp_path, personas):
    header = RESO_HEADER.replace("ClosePrice", "Sold Price").replace("LivingArea", "sqft")
    path = sales_csv(tmp_path, header=header)
    call_command(
        "import_sales",
        str(path),
        brokerage=personas.brokerage.slug,
        mapping='{"Sold Price": "ClosePrice", "sqft": "LivingArea"}',
    )
    sale = Property.objects.get(listing_key="S2")
    assert str(sale.close_price) == "410000.00"
    assert str(sale.list_price) == "410000.00"
    assert sale.living_area == 1660


def test_the_brokerage_must_be_named_when_there_are_several(tmp_path, personas):
    with pytest.raises(CommandError, match="--brokerage"):
        call_command("import_sales", str(sales_csv(tmp_path)))
    assert not Property.objects.exists()
