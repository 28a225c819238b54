"""An agent's email signature: an HTML snippet with inline styles (what email clients keep)
and its plain-text twin, in the brokerage's colours."""

from dataclasses import dataclass

from django.utils.html import format_html, format_html_join

from properties.materials.brand import brand_for
from properties.materials.marks import EHO_WORDING


@dataclass(frozen=True)
class Signature:
    """The two forms of one signature."""

    html: str
    text: str


def signature_build(*, agent, logo_url=""):
    """The email signature of ``agent``: name, title, phone, email, brokerage, logo, licence
    and the Equal Housing wording. ``logo_url`` is the absolute address of the brokerage's logo
    (email clients load it from there); without one the signature has no image."""
    brand = brand_for(agent.brokerage, with_logo=False)
    primary = brand.primary_hex
    details = [
        ("Phone", agent.phone, f"tel:{agent.phone}" if agent.phone else ""),
        ("Email", agent.email, f"mailto:{agent.email}" if agent.email else ""),
    ]
    detail_rows = format_html_join(
        "",
        '<div style="margin:0;font-size:13px;color:#333333;">{}: '
        '<a href="{}" style="color:{};text-decoration:none;">{}</a></div>',
        ((label, href, primary, value) for label, value, href in details if value),
    )
    logo_cell = ""
    if logo_url:
        logo_cell = format_html(
            '<td style="padding:0 14px 0 0;vertical-align:top;">'
            '<img src="{}" alt="{}" width="80" style="display:block;border:0;max-width:80px;">'
            "</td>",
            logo_url,
            agent.brokerage.name,
        )
    licence = (
        format_html(
            '<div style="margin:4px 0 0;font-size:11px;color:#666666;">Licence {}</div>',
            agent.license_number,
        )
        if agent.license_number
        else ""
    )
    html = format_html(
        '<table cellpadding="0" cellspacing="0" border="0" '
        'style="border-collapse:collapse;font-family:{};">'
        "<tr>{}"
        '<td style="padding:0 0 0 12px;border-left:3px solid {};vertical-align:top;">'
        '<div style="margin:0;font-size:16px;font-weight:bold;color:{};">{}</div>'
        "{}"
        '<div style="margin:2px 0 6px;font-size:13px;font-weight:bold;color:#333333;">{}</div>'
        "{}{}"
        '<div style="margin:6px 0 0;font-size:10px;color:#666666;">{}</div>'
        "</td></tr></table>",
        brand.css_font,
        logo_cell,
        primary,
        primary,
        agent.name,
        format_html('<div style="margin:0;font-size:13px;color:#555555;">{}</div>', agent.title)
        if agent.title
        else "",
        agent.brokerage.name,
        detail_rows,
        licence,
        EHO_WORDING,
    )
    lines = [agent.name, agent.title, agent.brokerage.name]
    lines += [f"{label}: {value}" for label, value, _href in details if value]
    if agent.license_number:
        lines.append(f"Licence {agent.license_number}")
    lines.append(EHO_WORDING)
    return Signature(html=str(html), text="\n".join(line for line in lines if line))
