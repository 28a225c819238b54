"""RESO Data Dictionary 2.0 enumerations used by listings."""

from django.db import models


class StandardStatus(models.TextChoices):
    ACTIVE = "Active", "Active"
    ACTIVE_UNDER_CONTRACT = "ActiveUnderContract", "Active Under Contract"
    PENDING = "Pending", "Pending"
    CLOSED = "Closed", "Closed"
    WITHDRAWN = "Withdrawn", "Withdrawn"
    EXPIRED = "Expired", "Expired"
    CANCELED = "Canceled", "Canceled"
    COMING_SOON = "ComingSoon", "Coming Soon"
    HOLD = "Hold", "Hold"
    INCOMPLETE = "Incomplete", "Incomplete"


ON_MARKET_STATUSES = (
    StandardStatus.ACTIVE,
    StandardStatus.ACTIVE_UNDER_CONTRACT,
    StandardStatus.COMING_SOON,
    StandardStatus.PENDING,
)


class PropertyType(models.TextChoices):
    RESIDENTIAL = "Residential", "Residential"
    RESIDENTIAL_LEASE = "ResidentialLease", "Residential Lease"
    RESIDENTIAL_INCOME = "ResidentialIncome", "Residential Income"
    LAND = "Land", "Land"
    FARM = "Farm", "Farm"
    MANUFACTURED_IN_PARK = "ManufacturedInPark", "Manufactured In Park"
    COMMERCIAL_SALE = "CommercialSale", "Commercial Sale"
    COMMERCIAL_LEASE = "CommercialLease", "Commercial Lease"
    BUSINESS_OPPORTUNITY = "BusinessOpportunity", "Business Opportunity"


class PropertySubType(models.TextChoices):
    SINGLE_FAMILY_RESIDENCE = "SingleFamilyResidence", "Single Family Residence"
    CONDOMINIUM = "Condominium", "Condominium"
    TOWNHOUSE = "Townhouse", "Townhouse"
    DUPLEX = "Duplex", "Duplex"
    TRIPLEX = "Triplex", "Triplex"
    QUADRUPLEX = "Quadruplex", "Quadruplex"
    MULTI_FAMILY = "MultiFamily", "Multi Family"
    APARTMENT = "Apartment", "Apartment"
    STOCK_COOPERATIVE = "StockCooperative", "Stock Cooperative"
    MANUFACTURED_HOME = "ManufacturedHome", "Manufactured Home"
    MOBILE_HOME = "MobileHome", "Mobile Home"
    CABIN = "Cabin", "Cabin"
    FARM = "Farm", "Farm"
    RANCH = "Ranch", "Ranch"
    UNIMPROVED_LAND = "UnimprovedLand", "Unimproved Land"


class ListingSource(models.TextChoices):
    LOCAL = "local", "Entered by the brokerage"
    MLS = "mls", "MLS feed"


class MediaStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be processed"
    READY = "ready", "Ready"
    FAILED = "failed", "Processing failed"


class ChangeSource(models.TextChoices):
    LOCAL = "local", "Brokerage"
    MLS = "mls", "MLS feed"
