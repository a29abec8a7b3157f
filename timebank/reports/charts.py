"""Charts as SVG images (pygal, drawn on the server), each shown next to a table of its data.

pygal's SVG carries its own <style> and, by default, a <script> from a CDN. We turn the script
off (`js=[]`) and show the SVG as an <img> from a data: URI: an image cannot run scripts, and its
internal styles do not count against the page's Content-Security-Policy (which allows images from
data:). So the page keeps its CSP without 'unsafe-inline' and needs no extra request per chart.
"""
from __future__ import annotations

import base64

import pygal
from pygal.style import Style

STYLE = Style(
    background="#ffffff", plot_background="#ffffff", foreground="#0b0c0c", foreground_strong="#0b0c0c",
    foreground_subtle="#505a5f", colors=("#1d70b8", "#00703c", "#d4351c", "#6f72af"),
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif",
    label_font_size=13, major_label_font_size=13, title_font_size=16, value_font_size=12,
    tooltip_font_size=12, legend_font_size=13, opacity=".9", opacity_hover="1", transition="0s",
)


def _config(**extra) -> dict:
    return {"style": STYLE, "js": [], "disable_xml_declaration": False, "show_legend": False, "width": 720,
            "height": 320, "print_values": False, "explicit_size": False, "margin": 12, **extra}


def bar_chart(title: str, labels: list[str], values: list[float], *, horizontal: bool = False,
              series: str = "") -> str:
    """The chart as a data: URI for an <img>."""
    chart = (pygal.HorizontalBar if horizontal else pygal.Bar)(
        **_config(title=title, x_label_rotation=0 if horizontal else (-45 if len(labels) > 8 else 0),
                  height=max(240, 28 * len(labels) + 90) if horizontal else 320))
    chart.x_labels = labels
    chart.add(series or title, [float(v) for v in values])
    return data_uri(chart.render())


def data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def grouped_bar_chart(title: str, labels: list[str], series: dict[str, list[float]]) -> str:
    """Bars side by side for each label, one colour and a legend entry per series."""
    chart = pygal.HorizontalBar(**_config(title=title, show_legend=True, legend_at_bottom=True,
                                          height=max(260, 44 * len(labels) + 120)))
    chart.x_labels = labels
    for name, values in series.items():
        chart.add(name, [float(v) for v in values])
    return data_uri(chart.render())
