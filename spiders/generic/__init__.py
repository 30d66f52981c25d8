"""The generic spider: one spider and page objects that run any platform definition file."""
