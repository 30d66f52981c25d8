"""HTML and XML the forum sends, rendered from its records the way Discuz! X3 templates lay them out."""
