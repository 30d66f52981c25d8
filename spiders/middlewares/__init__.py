"""Scrapy downloader middlewares of the harvest (registered in harvester/settings.py)."""
