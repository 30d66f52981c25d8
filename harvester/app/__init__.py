"""The application on top of the core (issue 18's target layout): the HTTP API for now; CLI and worker to follow."""
