"""The templates' ``{% url %}``: Django's tag, with names without arguments reversed once."""

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import NoReverseMatch, include, path, reverse, set_script_prefix

from realestate import links


def render(source, **context):
    return Template(source).render(Context(context))


@pytest.fixture
def counted_reverse(monkeypatch):
    """How many times the tag reversed a name itself."""
    links._reversed.cache_clear()
    calls = []

    def counting(*args, **kwargs):
        calls.append(args)
        return reverse(*args, **kwargs)

    monkeypatch.setattr(links, "reverse", counting)
    yield calls
    links._reversed.cache_clear()


def test_a_name_without_arguments_is_reversed_once(counted_reverse):
    first = render("{% url 'properties:list' %}")
    second = render("{% url 'properties:list' %}")
    assert first == second == reverse("properties:list")
    assert len(counted_reverse) == 1


def test_names_with_arguments_and_as_variables_are_reversed_as_django_does(counted_reverse):
    assert render("{% url 'properties:detail' 7 %}") == reverse("properties:detail", args=[7])
    assert render("{% url 'properties:detail' pk=8 %}") == reverse(
        "properties:detail", kwargs={"pk": 8}
    )
    assert render("{% url 'properties:list' as link %}[{{ link }}]") == (
        f"[{reverse('properties:list')}]"
    )
    assert render("{% url 'no-such-page' as link %}[{{ link }}]") == "[]"
    assert counted_reverse == []


def test_an_unknown_name_still_fails_the_page():
    with pytest.raises(NoReverseMatch):
        render("{% url 'no-such-page' %}")


def test_a_name_from_a_variable_is_reversed_and_remembered(counted_reverse):
    assert render("{% url name %}", name="dashboard") == reverse("dashboard")
    assert render("{% url name %}", name="properties:list") == reverse("properties:list")
    assert len(counted_reverse) == 2


def test_links_carry_the_script_prefix_of_the_request(counted_reverse):
    set_script_prefix("/crm/")
    try:
        prefixed = render("{% url 'properties:list' %}")
    finally:
        set_script_prefix("/")
    assert prefixed == "/crm" + reverse("properties:list")
    assert render("{% url 'properties:list' %}") == reverse("properties:list")


# The product's URLs under a prefix, as a changed URLconf.
# Two instances of one app, told apart by the current app.
shop = ([path("home/", lambda request: None, name="home")], "shop")
urlpatterns = [
    path("office/", include("realestate.urls")),
    path("first/", include(shop, namespace="first")),
    path("second/", include(shop, namespace="second")),
]


def test_links_follow_a_changed_urlconf(settings, counted_reverse):
    before = render("{% url 'properties:list' %}")
    settings.ROOT_URLCONF = __name__
    assert render("{% url 'properties:list' %}") == "/office" + before


def test_the_current_app_of_the_request_picks_the_instance_of_an_app(settings, counted_reverse):
    settings.ROOT_URLCONF = __name__
    rendered = {}
    for current_app in ("first", "second", "first"):
        context = Context({})
        context.request = RequestFactory().get("/")
        context.request.current_app = current_app
        rendered.setdefault(current_app, set()).add(
            Template("{% url 'shop:home' %}").render(context)
        )
    assert rendered == {"first": {"/first/home/"}, "second": {"/second/home/"}}
    assert len(counted_reverse) == 2
