"""Branded marketing materials of a listing: flyer and open-house sign-in sheet (PDF), social
images (PNG), and the agents' email signatures, all dressed in the brokerage's brand kit."""
