"""Switches in the config file and the environment (the environment wins), and a bad value named."""

from __future__ import annotations

from pathlib import Path

import pytest

from harvester.config import ConfigError, load_config


def test_linking_copies_is_on_unless_switched_off(tmp_path: Path) -> None:
    assert load_config({}, cwd=tmp_path).link_copies is True
    (tmp_path / "harvester.toml").write_text("link_copies = false\n", encoding="utf-8")
    assert load_config({}, cwd=tmp_path).link_copies is False
    assert load_config({"HARVESTER_LINK_COPIES": "1"}, cwd=tmp_path).link_copies is True
    assert load_config({"HARVESTER_LINK_COPIES": "0"}, cwd=tmp_path).link_copies is False
    assert load_config({"HARVESTER_LINK_COPIES": "yes"}, cwd=tmp_path).to_scrapy_settings()[
        "HARVESTER_LINK_COPIES"] is True


def test_a_switch_that_is_neither_true_nor_false_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="link_copies must be true or false, got 'sometimes'"):
        load_config({"HARVESTER_LINK_COPIES": "sometimes"}, cwd=tmp_path)
