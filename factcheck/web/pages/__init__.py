"""The HTML side: fact-check pages, embed cards, article pages and oEmbed (views.py), the verdict
drawn on the organization's scale (verdict.py), and their templates and stylesheet."""

from flask import Flask

from factcheck.web.pages.views import blp, iso_date, long_date, site_link


def init_app(app: Flask) -> None:
    """After the API's init_app, which registers the `id` URL converter these routes use."""
    app.add_template_filter(long_date)
    app.add_template_filter(iso_date)
    # Templates link with this, never url_for: see views.site_link.
    app.add_template_global(site_link)
    app.register_blueprint(blp)
