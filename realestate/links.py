"""The ``{% url %}`` tag of every template (a builtin, see ``TEMPLATES``).

It is Django's, except that a name without arguments is reversed once per URLconf, script
prefix, language and current app instead of on every page: a listing page has a dozen such
links, and each reverse cost about fifty microseconds. A changed URLconf
(``clear_url_caches``) is a new resolver, so its links are reversed again.
"""

from functools import lru_cache

from django import template
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as url_tag
from django.urls import get_resolver, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape
from django.utils.translation import get_language

register = template.Library()


def reverse_cached(view_name, current_app=None):
    """``reverse(view_name)`` for a URL without arguments, remembered."""
    return _reversed(
        get_resolver(get_urlconf()), get_script_prefix(), get_language(), view_name, current_app
    )


@lru_cache(maxsize=1024)
def _reversed(resolver, script_prefix, language, view_name, current_app):
    return reverse(view_name, current_app=current_app)


class CachedURLNode(URLNode):
    def render(self, context):
        view_name = self.view_name.resolve(context)
        if self.args or self.kwargs or self.asvar or not isinstance(view_name, str):
            return super().render(context)
        try:  # as Django's tag finds it
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        url = reverse_cached(view_name, current_app)
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    node = url_tag(parser, token)
    return CachedURLNode(node.view_name, node.args, node.kwargs, node.asvar)
