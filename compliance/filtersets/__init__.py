"""Compliance filters shared by the HTML list pages and the API."""
