"""Unit tests: pure functions, no I/O beyond memory."""
