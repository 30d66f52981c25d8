"""Discuz! X forums: board list and thread page objects, relative dates, the last-post scan and the spider."""
