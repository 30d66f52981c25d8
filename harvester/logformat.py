"""A Scrapy log formatter that never prints item contents (they hold citizens' names and phone numbers)."""

from __future__ import annotations

from typing import Any

from scrapy.logformatter import LogFormatter, LogFormatterResult


class QuietItemsLogFormatter(LogFormatter):
    """Logs which item type was scraped or dropped, and from where, but not its fields."""

    def scraped(self, item: Any, response: Any, spider: Any) -> LogFormatterResult:
        result = super().scraped(item, response, spider)
        result["msg"] = "Scraped %(kind)s from %(src)s"
        result["args"] = {"kind": type(item).__name__, "src": getattr(response, "url", response)}
        return result

    def dropped(self, item: Any, exception: BaseException, response: Any, spider: Any) -> LogFormatterResult:
        result = super().dropped(item, exception, response, spider)
        result["msg"] = "Dropped %(kind)s: %(exception)s"
        result["args"] = {"kind": type(item).__name__, "exception": exception}
        return result

    def item_error(self, item: Any, exception: BaseException, response: Any, spider: Any) -> LogFormatterResult:
        result = super().item_error(item, exception, response, spider)
        result["msg"] = "Error processing %(kind)s"
        result["args"] = {"kind": type(item).__name__}
        return result
