"""Server-rendered pages: the Jinja2 environment (autoescaped, Vietnamese labels, dd/mm/yyyy dates) and render()."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from gateway.web import events, labels, reasons
from gateway.web.access import may_admin, may_edit, may_set_status

TEMPLATES = Path(__file__).resolve().parent / "templates"


def environment(zone: ZoneInfo) -> jinja2.Environment:
    """The templates' environment: HTML escaped everywhere, unknown names an error, dates in the register's zone."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    env.globals.update(labels=labels, events=events, reasons=reasons, may_edit=may_edit, may_admin=may_admin,
                       may_set_status=may_set_status)
    env.filters.update(d=labels.date, dtm=lambda v: labels.datetime(v, zone), num=labels.number,
                       bytes=labels.size, said=reasons.translate)
    env.tests["data"] = lambda value: isinstance(value, reasons.Data)
    return env


def render(request: Request, name: str, status: int = 200, viewer: Any = None, **context: Any) -> HTMLResponse:
    """A page from template ``name`` for the user ``viewer`` (None on the login and error pages)."""
    state = request.app.state
    html = state.templates.get_template(name).render(request=request, viewer=viewer,
                                                     agency=state.service.config.register.agency_name, **context)
    return HTMLResponse(html, status_code=status)
