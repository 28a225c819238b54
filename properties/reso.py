"""The RESO Data Dictionary 2.0 names of listing fields, and how they map to ours.

``RESO_FIELDS`` maps each RESO ``Property`` resource field the product reads from an MLS feed
to the ``Property`` model field that stores it. These are the MLS-owned fields: a sync writes
them; everything else on a listing (private notes, archive state, assignments) is the
brokerage's and no sync touches it.
"""

from properties.models import Property

RESO_FIELDS = {
    "ListingKey": "listing_key",
    "ListingId": "listing_id",
    "OriginatingSystemName": "originating_system_name",
    "StandardStatus": "standard_status",
    "MlsStatus": "mls_status",
    "PropertyType": "property_type",
    "PropertySubType": "property_sub_type",
    "StreetNumber": "street_number",
    "StreetDirPrefix": "street_dir_prefix",
    "StreetName": "street_name",
    "StreetSuffix": "street_suffix",
    "UnitNumber": "unit_number",
    "City": "city",
    "StateOrProvince": "state_or_province",
    "PostalCode": "postal_code",
    "CountyOrParish": "county_or_parish",
    "Country": "country",
    "SubdivisionName": "subdivision_name",
    "Latitude": "latitude",
    "Longitude": "longitude",
    "BedroomsTotal": "bedrooms_total",
    "BathroomsFull": "bathrooms_full",
    "BathroomsHalf": "bathrooms_half",
    "BathroomsTotalInteger": "bathrooms_total_integer",
    "LivingArea": "living_area",
    "LotSizeSquareFeet": "lot_size_square_feet",
    "LotSizeAcres": "lot_size_acres",
    "YearBuilt": "year_built",
    "StoriesTotal": "stories_total",
    "GarageSpaces": "garage_spaces",
    "ParkingTotal": "parking_total",
    "Heating": "heating",
    "Cooling": "cooling",
    "View": "view",
    "InteriorFeatures": "interior_features",
    "ExteriorFeatures": "exterior_features",
    "Appliances": "appliances",
    "WaterfrontYN": "waterfront_yn",
    "PoolPrivateYN": "pool_private_yn",
    "ViewYN": "view_yn",
    "PropertyCondition": "property_condition",
    "FireplaceYN": "fireplace_yn",
    "AssociationFee": "association_fee",
    "TaxAnnualAmount": "tax_annual_amount",
    "ListPrice": "list_price",
    "OriginalListPrice": "original_list_price",
    "ClosePrice": "close_price",
    "ListingContractDate": "listing_contract_date",
    "OnMarketDate": "on_market_date",
    "CloseDate": "close_date",
    "DaysOnMarket": "days_on_market",
    "PublicRemarks": "public_remarks",
    "PrivateRemarks": "private_remarks",
    "ShowingInstructions": "showing_instructions",
    "VirtualTourURLUnbranded": "virtual_tour_url_unbranded",
    "ListAgentMlsId": "list_agent_mls_id",
    "ListOfficeMlsId": "list_office_mls_id",
    "PhotosCount": "photos_count",
    "PhotosChangeTimestamp": "photos_change_timestamp",
    "ModificationTimestamp": "modification_timestamp",
}

# Our field name -> RESO name.
FIELD_TO_RESO = {field: reso for reso, field in RESO_FIELDS.items()}

# RESO lookup fields that hold a list of values (the Data Dictionary's multi-select lookups).
RESO_LIST_FIELDS = frozenset(
    reso
    for reso, field in RESO_FIELDS.items()
    if Property._meta.get_field(field).get_internal_type() == "JSONField"
)
