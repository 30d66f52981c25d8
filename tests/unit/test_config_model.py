"""The one settings object: every HARVESTER_* variable still honoured over the file, mistakes named by file,
section and key (or variable), defaults in one place, the file read once per command, the README table in step."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harvester.app.api.settings import ApiSettings, load_api_settings
from harvester.app.monitors.alerting import OverdueTargets, load_alert_targets
from harvester.app.operate import RunSettings, load_run_settings, secret_variables
from harvester.app.replies.retry import RetryPolicy
from harvester.app.replies.settings import ReplyConfig, load_reply_config
from harvester.config import DEFAULTS, ConfigError, HarvesterConfig, load_config
from harvester.configdoc import block, current_block, rows
from harvester.configsources import ENV_VARS, QUALIFIERS, ConfigFileSource

ROOT = Path(__file__).resolve().parents[2]
FILE = """
batch_size = 100
platforms_dirs = ["defs"]
[run]
parallel = 3
[replies]
max_attempts = 7
[replies.staging_urls]
jact_demo = "http://127.0.0.1:8601/"
[api]
burst = 50
"""


def write(tmp_path: Path, text: str) -> dict[str, str]:
    (tmp_path / "harvester.toml").write_text(text, encoding="utf-8")
    return {"HARVESTER_CONFIG": str(tmp_path / "harvester.toml")}


def test_the_environment_wins_over_the_file_section_by_section(tmp_path: Path) -> None:
    named = write(tmp_path, FILE)
    from_file = load_config(named)
    assert (from_file.batch_size, from_file.run.parallel, from_file.replies.max_attempts,
            from_file.api.burst) == (100, 3, 7, 50)
    config = load_config({**named, "HARVESTER_BATCH_SIZE": "50", "HARVESTER_REPLY_MAX_ATTEMPTS": "2",
                          "HARVESTER_API_BURST": "9", "HARVESTER_PLATFORMS_DIRS": "/srv/more",
                          "HARVESTER_LOCK_PATH": "run.lock", "HARVESTER_PLATFORMS": "jact_demo,discuz_demo",
                          "HARVESTER_STAGING_URLS": "discuz_demo=http://127.0.0.1:8604"})
    assert (config.batch_size, config.replies.max_attempts, config.api.burst) == (50, 2, 9)
    assert config.run.parallel == 3  # what no variable sets stays the file's
    assert config.platforms_dirs == (tmp_path / "defs", Path("/srv/more"))  # the variable adds to the file's
    assert config.run.lock_path == tmp_path / "run.lock"  # beside the config file, as in the file
    assert config.enabled_platforms == ("jact_demo", "discuz_demo")
    assert dict(config.replies.staging_urls) == {"jact_demo": "http://127.0.0.1:8601",
                                                 "discuz_demo": "http://127.0.0.1:8604"}
    assert (load_api_settings(config).burst, load_reply_config(config).retry.max_attempts) == (9, 2)


# Every variable honoured before the settings object (grep of harvester/, spiders/, adapters/, sinks/ at 3499ebe).
HONOURED = {"HARVESTER_DB_URL", "HARVESTER_PLATFORMS", "HARVESTER_PLATFORMS_DIRS", "HARVESTER_RECHECK_AFTER_HOURS",
            "HARVESTER_BATCH_SIZE", "HARVESTER_LINK_COPIES", "HARVESTER_LOG_LEVEL", "HARVESTER_SECRETS_FILE",
            "HARVESTER_STATE_DIR", "HARVESTER_REPLICA_PLATFORMS", "HARVESTER_LOCK_PATH", "HARVESTER_TEXTFILE",
            "HARVESTER_HOLIDAYS_FILE", "HARVESTER_STAGING", "HARVESTER_STAGING_URLS", "HARVESTER_ALERT_WEBHOOK_URL",
            "HARVESTER_OVERDUE_WEBHOOK_URL", "HARVESTER_API_ALLOW_SELF_APPROVAL", "HARVESTER_API_MAX_WAIT_S",
            "HARVESTER_API_RATE_PER_S", "HARVESTER_API_BURST",
            *(f"HARVESTER_REPLY_{key.upper()}" for key in ("max_attempts", "attempts_per_push", "backoff_initial_s",
                                                           "backoff_max_s", "max_inline_wait_s", "auth_retry_after_s",
                                                           "sending_lease_s", "call_timeout_s",
                                                           "unverified_after_runs"))}


def test_every_variable_honoured_before_is_a_setting() -> None:
    assert HONOURED - set(ENV_VARS) == set()
    assert {"HARVESTER_ALERT_WEBHOOK_STYLE", "HARVESTER_OVERDUE_WEBHOOK_STYLE"} <= set(QUALIFIERS)


def test_every_variable_sets_its_setting(tmp_path: Path) -> None:
    samples = {"int": "7", "float": "7.5", "bool": "1", "str": "x"}
    for name, (loc, _) in ENV_VARS.items():
        fields = HarvesterConfig.model_fields
        owner = HarvesterConfig
        for key in loc[:-1]:
            owner = fields[str(key)].annotation  # type: ignore[assignment]
            fields = owner.model_fields
        field = next(f for n, f in fields.items() if str(f.validation_alias or n) == loc[-1])
        kind = getattr(field.annotation, "__name__", "str")
        value = "http://127.0.0.1:9/hook" if name.endswith("_URL") else samples.get(kind, "/tmp/x")
        if name.endswith("_BEAT_HOURS"):
            value = "7,19"
        if name.endswith("_URLS"):
            value = "jact_demo=http://127.0.0.1:9"
        if kind == "bool":
            value = "0" if field.default else "1"
        assert load_config({name: value}, cwd=tmp_path) != load_config({}, cwd=tmp_path), name


@pytest.mark.parametrize(("text", "message"), [
    ("batch_size = \"lots\"\n", "harvester.toml: batch_size must be a whole number, got 'lots'"),
    ("[run]\nparalel = 3\n", "harvester.toml: [run]: unknown key 'paralel'; known: every_hours, lock_path, parallel"),
    ("[run]\nparallel = 0\n", "harvester.toml: [run] parallel must be >= 1, got 0"),
    ("[api]\nrate_per_s = \"fast\"\n", "harvester.toml: [api] rate_per_s must be a number, got 'fast'"),
    ("[[alerts.webhooks]]\nurl = \"http://x\"\nstyle = \"teams\"\n",
     "harvester.toml: [alerts.webhooks] #1 style must be generic, wecom, dingtalk or slack, got 'teams'"),
    ("[alerts.email]\nhost = \"smtp\"\n", "harvester.toml: [alerts.email] port is missing"),
    ("dburl = \"sqlite:///x.db\"\n", "harvester.toml: unknown key 'dburl'; known: alerts, api, batch_size"),
])
def test_a_mistake_in_the_file_names_the_file_the_section_and_the_key(tmp_path: Path, text: str, message: str
                                                                       ) -> None:
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, text))
    assert str(tmp_path / message) in str(error.value) or message in str(error.value)
    assert str(error.value).startswith(str(tmp_path / "harvester.toml"))


def test_a_mistake_in_a_variable_names_the_variable_and_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^HARVESTER_RECHECK_AFTER_HOURS: recheck_after_hours must be a number, "
                                          r"got 'soon'$"):
        load_config({"HARVESTER_RECHECK_AFTER_HOURS": "soon"}, cwd=tmp_path)
    with pytest.raises(ConfigError, match=r"^HARVESTER_API_BURST: api.burst must be >= 1, got '0'$"):
        load_config({"HARVESTER_API_BURST": "0"}, cwd=tmp_path)


def test_the_app_settings_defaults_are_the_settings_object_defaults() -> None:
    config = HarvesterConfig()
    assert load_api_settings(config) == ApiSettings()
    assert load_reply_config(config) == ReplyConfig() and ReplyConfig().retry == RetryPolicy()
    assert load_run_settings(config) == RunSettings(lock_path=config.state_dir / "run.lock")
    assert load_alert_targets(config, env={}).overdue == OverdueTargets()
    assert DEFAULTS.model_dump(exclude={"state_dir"}) == config.model_dump(exclude={"state_dir"})


def test_a_webhook_url_from_the_environment_stays_out_of_the_settings_object(tmp_path: Path) -> None:
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k-secret-1"
    env = {"HARVESTER_ALERT_WEBHOOK_URL": url, "HARVESTER_ALERT_WEBHOOK_STYLE": "wecom"}
    config = load_config(env, cwd=tmp_path)
    assert "k-secret-1" not in repr(config) and "k-secret-1" not in str(config.model_dump())
    (hook,) = load_alert_targets(config, env).webhooks
    assert (hook.url, hook.style) == (url, "wecom")
    assert "HARVESTER_ALERT_WEBHOOK_URL" in secret_variables(config)  # so no child process gets it


def test_no_module_but_the_settings_reads_the_config_file() -> None:
    """tomllib only where a TOML file that is not harvester.toml is read (definitions, secrets, holidays)."""
    allowed = {"harvester/configsources.py", "harvester/registry.py", "harvester/secrets.py", "harvester/holidays.py"}
    using = set()
    for top in ("harvester", "spiders", "adapters", "sinks"):
        for path in (ROOT / top).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)
                     for alias in node.names} | {node.module for node in ast.walk(tree)
                                                 if isinstance(node, ast.ImportFrom) and node.module}
            if "tomllib" in names or any(isinstance(node, ast.Attribute) and node.attr == "config_file"
                                         and isinstance(node.ctx, ast.Load) and _opened(tree, node)
                                         for node in ast.walk(tree)):
                using.add(str(path.relative_to(ROOT)))
    assert using <= allowed, using - allowed


def _opened(tree: ast.AST, attribute: ast.Attribute) -> bool:
    """`….config_file.open(…)` / `.read_text(…)` / `.read_bytes(…)`."""
    return any(isinstance(node, ast.Attribute) and node.value is attribute
               and node.attr in ("open", "read_text", "read_bytes") for node in ast.walk(tree))


@pytest.mark.parametrize("command", [["check", "--json"], ["overdue", "--json"], ["replies", "list", "--unverified"]])
def test_a_command_reads_the_config_file_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              command: list[str]) -> None:
    from harvester.app.cli.main import app

    write(tmp_path, f'db_url = "sqlite:///{tmp_path / "store.db"}"\nstate_dir = "state"\n'
                    "[checks.staleness]\nmax_age_hours = 30\n")
    reads = []
    original = ConfigFileSource._read_file
    monkeypatch.setattr(ConfigFileSource, "_read_file", lambda self, path: reads.append(path) or original(self, path))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HARVESTER_CONFIG", raising=False)
    result = CliRunner().invoke(app, command)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert reads == [tmp_path / "harvester.toml"]


def test_importing_the_scrapy_settings_reads_no_config(tmp_path: Path) -> None:
    missing = {"HARVESTER_CONFIG": str(tmp_path / "absent.toml"), "PATH": "/usr/bin:/bin"}
    imported = subprocess.run([sys.executable, "-c", "import harvester.settings as s; print(hasattr(s, "
                               "'HARVESTER_DB_URL'))"], cwd=ROOT, env=missing, capture_output=True, text=True,
                              timeout=60)
    assert imported.returncode == 0 and imported.stdout.strip() == "False", imported.stderr[-2000:]


def readme_settings(text: str) -> set[tuple[str, ...]]:
    """The keys the README's settings table names, as (section..., key)."""
    found = set()
    for line in current_block(text).splitlines()[3:-1]:
        first = line.split("|")[1]
        parts = re.findall(r"`\[?([^`\]]+)\]?`", first)
        found.add((*parts[0].split("."), parts[1]) if len(parts) == 2 else (parts[0],))
    return found


def settings_table_mismatch(text: str) -> tuple[set[tuple[str, ...]], set[tuple[str, ...]]]:
    """(settings missing from the README's table, keys the table names that are no setting)."""
    settings = {tuple(map(str, loc)) for loc, _, _ in rows()}
    named = readme_settings(text)
    return settings - named, named - settings


def test_the_readme_table_is_generated_from_the_settings_model() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert settings_table_mismatch(readme) == (set(), set())
    assert current_block(readme) == block(), "stale: run python -m harvester.configdoc README.md"
    assert [loc for loc, _, what in rows() if not what] == []  # every setting says what it is


def test_the_readme_check_fails_on_a_missing_or_an_unknown_setting() -> None:
    table = block()
    missing = table.replace(next(line for line in table.splitlines() if "`batch_size`" in line) + "\n", "")
    unknown = table.replace("| `[run]` `parallel` |", "| `[run]` `paralel` |")
    assert settings_table_mismatch(missing) == ({("batch_size",)}, set())
    assert settings_table_mismatch(unknown) == ({("run", "parallel")}, {("run", "paralel")})
