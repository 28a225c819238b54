import re

from django.test import RequestFactory
from django.urls import include, path, reverse, set_script_prefix

from realestate.context_processors import NAV_URLS, nav


def test_nav_gives_each_top_bar_link_as_reverse_makes_it():
    links = nav(RequestFactory().get("/"))["nav"]
    assert links == {key: reverse(name) for key, name in NAV_URLS.items()}


def test_nav_links_carry_the_script_prefix_of_the_request():
    set_script_prefix("/crm/")
    try:
        links = nav(RequestFactory().get("/"))["nav"]
    finally:
        set_script_prefix("/")
    assert links["listings"] == "/crm" + reverse("properties:list")
    assert nav(RequestFactory().get("/"))["nav"]["listings"] == reverse("properties:list")


# The product's URLs under a prefix, as a changed URLconf.
urlpatterns = [path("office/", include("realestate.urls"))]


def test_nav_links_follow_a_changed_urlconf(settings):
    before = nav(RequestFactory().get("/"))["nav"]["listings"]
    settings.ROOT_URLCONF = __name__
    assert nav(RequestFactory().get("/"))["nav"]["listings"] == "/office" + before


def test_every_page_top_bar_shows_the_links_for_the_person(client_for):
    content = client_for("broker").get(reverse("properties:list")).content.decode()
    hrefs = set(re.findall(r'href="([^"]+)"', content))
    for key in ("dashboard", "listings", "clients", "deals", "feeds", "compliance", "signature"):
        assert reverse(NAV_URLS[key]) in hrefs
    assert re.search(rf'hx-get="{reverse(NAV_URLS["bell"])}"', content)
