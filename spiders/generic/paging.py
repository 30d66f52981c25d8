"""List page requests and detail URLs of a definition: placeholders filled per paging kind. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from harvester.definition.model import Definition, Paging


@dataclass(frozen=True, slots=True)
class PageRequest:
    """One list page to fetch: where, how (GET, or POST with a form) and which page it is (1-based)."""

    url: str
    page: int
    method: str = "GET"
    form: Mapping[str, str] | None = None


def absolute(base_url: str, path: str) -> str:
    """A definition URL: relative ones hang off the platform's base_url (which operators override)."""
    return path if path.startswith(("http://", "https://")) else base_url + path


def fill(template: str, values: Mapping[str, str]) -> str:
    """Replace {name} placeholders (only the known ones, so other braces in a form value survive)."""
    for name, value in values.items():
        template = template.replace("{" + name + "}", value)
    return template


def page_values(paging: Paging, page: int, board_id: str) -> dict[str, str]:
    """Placeholder values for the n-th list page (n from 1)."""
    size = paging.size or 0
    number = page - 1 if paging.kind == "index" else paging.first + page - 1
    offset = (page - 1) * size
    return {"page": str(number), "offset": str(offset), "start": str(offset + 1), "end": str(page * size),
            "size": str(size), "board": board_id}


def list_request(definition: Definition, base_url: str, board_id: str, page: int,
                 carried: Mapping[str, str] | None = None) -> PageRequest:
    """The request for list page `page` of a board; `carried` are the form values read from page `page - 1`
    (a postback list needs them for every page after the first, see `postback`)."""
    spec = definition.list
    template = spec.paging.first_url if spec.paging.kind == "index" and page == 1 and spec.paging.first_url \
        else spec.url
    values = page_values(spec.paging, page, board_id)
    url = absolute(base_url, fill(template, values))
    form = {name: fill(value, values) for name, value in spec.form.items()}
    if spec.postback:
        return postback(url, page, form, carried)
    if spec.method == "GET" and form:
        return PageRequest(url + ("&" if "?" in url else "?") + urlencode(form), page)
    return PageRequest(url, page, spec.method, form if spec.method == "POST" else None)


def postback(url: str, page: int, form: Mapping[str, str], carried: Mapping[str, str] | None) -> PageRequest:
    """ASP.NET WebForms paging: page 1 is the plain GET a browser makes; page n+1 posts the form back with the
    static values and the state read from page n (`__VIEWSTATE` …), which the server checks belongs to it."""
    if page == 1:
        return PageRequest(url, page)
    if carried is None:
        raise ValueError(f"list page {page} is a postback: it needs the form values read from page {page - 1}")
    return PageRequest(url, page, "POST", {**form, **carried})


def has_more(paging: Paging, page: int, rows: int, next_found: bool, total: int | None,
             pages: int | None) -> bool:
    """Whether a list page after `page` exists, by the paging's declared end signal."""
    if page >= paging.max_pages:
        return False
    if paging.next is not None:
        return next_found
    if paging.total is not None and total is not None:
        return page * (paging.size or rows) < total
    if paging.pages is not None and pages is not None:
        return page < pages
    return rows > 0 and (paging.size is None or rows >= paging.size)


def detail_url(definition: Definition, base_url: str, board_id: str, external_id: str, link: str | None) -> str:
    """The detail page of a letter: the definition's template, else the link its list row gave."""
    if definition.detail.url is not None:
        values = {"id": quote(external_id, safe=""), "board": board_id}
        return absolute(base_url, fill(definition.detail.url, values))
    if not link:
        raise ValueError(f"letter {external_id}: no detail link and no options.detail.url")
    return link
