"""A clock that tests move by hand: code under test waits on it without any real waiting."""

from contextlib import contextmanager
from unittest import mock


class FakeClock:
    def __init__(self, start=0.0):
        self.now = start
        self.sleeps = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


@contextmanager
def frozen_now(when):
    """Inside the block ``django.utils.timezone.now()`` answers ``when``: code that reads the
    time through it (services, tasks run eagerly) sees a fixed clock."""
    with mock.patch("django.utils.timezone.now", return_value=when):
        yield when
