"""Distributed mode: harvests, reply pushes and monitors as Celery tasks on a broker (Redis by default), run by
workers on many hosts against one PostgreSQL store (docs/scale-out.md)."""
