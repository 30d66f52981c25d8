"""The inajax XML answers: a CDATA envelope whose script calls succeedhandle_<key> or errorhandle_<key>."""

from __future__ import annotations


def envelope(charset: str, inner: str) -> str:
    """Discuz's ajaxshowheader/footer; the declared encoding is the site charset."""
    return f'<?xml version="1.0" encoding="{charset}"?>\n<root><![CDATA[{inner}]]></root>'


def _params(values: dict[str, str]) -> str:
    return "{" + ",".join(f"'{key}':'{value}'" for key, value in values.items()) + "}"


def succeed(charset: str, handlekey: str, url: str, message: str, values: dict[str, str]) -> str:
    script = (f'<script type="text/javascript" reload="1">if(typeof succeedhandle_{handlekey}==\'function\') '
              f"{{succeedhandle_{handlekey}('{url}', '{message}', {_params(values)});}}</script>")
    return envelope(charset, message + script)


def error(charset: str, handlekey: str, message: str, values: dict[str, str] | None = None) -> str:
    script = (f'<script type="text/javascript" reload="1">if(typeof errorhandle_{handlekey}==\'function\') '
              f"{{errorhandle_{handlekey}('{message}', {_params(values or {})});}}</script>")
    return envelope(charset, message + script)
