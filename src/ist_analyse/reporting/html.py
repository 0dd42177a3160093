"""HTML rendering: Jinja2 templates with autoescaping, shipped in ``reporting/templates/``.

Every value from the data (activity names, case attributes, rule names from a user's TOML file)
reaches the page through Jinja2 with ``autoescape=True``, so ``<script>`` in an activity name is
shown as text, and through :func:`~ist_analyse.printable.visible`, so a control character or a
right-to-left override is shown as its escape (``\\x07``, ``\\u202e``) instead of breaking the
PDF or reordering the text around it. No template marks data ``|safe``. The page carries a
Content-Security-Policy that allows only inline styles and ``data:`` pictures: even if
something slipped through, the browser would neither run script nor fetch anything from the
network.
"""

from __future__ import annotations

from typing import Any

from ist_analyse.printable import visible
from ist_analyse.reporting.i18n import Texts

#: the only sources the report page may use (no script, no network, no fonts from outside)
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; " \
      "form-action 'none'"


def environment() -> Any:
    """The Jinja2 environment of the report templates (autoescape on, strict undefined, every
    printed text through :func:`visible`)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(loader=PackageLoader("ist_analyse.reporting", "templates"),
                      autoescape=True, undefined=StrictUndefined, trim_blocks=True,
                      lstrip_blocks=True, keep_trailing_newline=True, finalize=_printable)
    return env


def _printable(value: Any) -> Any:
    """Jinja's ``finalize``: every ``{{ text }}`` shown with :func:`visible` (numbers, other
    values and the templates' own markup pass unchanged; autoescaping follows)."""
    from markupsafe import Markup

    return visible(value) if isinstance(value, str) and not isinstance(value, Markup) else value


def render_html(context: dict[str, Any], texts: Texts) -> str:
    """The complete, self-contained HTML document of a report context."""
    env = environment()
    template = env.get_template("report.html.j2")
    return template.render(t=texts, csp=CSP, **context)
