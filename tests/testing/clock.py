"""A clock that tests move by hand: code under test waits on it without any real waiting."""


class FakeClock:
    def __init__(self, start=0.0):
        self.now = start
        self.sleeps = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds
