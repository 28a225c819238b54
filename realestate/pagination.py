"""API pagination, kept apart from realestate.api so DRF settings can import it early."""

from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100
