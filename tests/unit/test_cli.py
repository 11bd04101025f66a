"""The command line as a person meets it: help, options in either place, one-line errors."""

from __future__ import annotations

import pytest

from assets import cli
from pipelines.constants import DEMO_MARKER, DEMO_PSEUDONYM_KEY
from pipelines.errors import ConfigError
from pipelines.sources.loaders import probe_key


def test_help_has_a_line_for_every_option(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["generate", "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    for option, words in (("--seed", "random seed"), ("--scale", "communes"), ("--data", "data root")):
        assert option in text and words in text


def test_top_level_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = capsys.readouterr().out
    for command in ("generate", "demo", "run", "warehouse"):
        assert command in text
    assert "Traceback" not in text


@pytest.mark.parametrize("where", ["before", "after"])
def test_data_root_before_or_after_the_subcommand(tmp_path, capsys, where):
    args = ["--data", str(tmp_path), "run"] if where == "before" else ["run", "--data", str(tmp_path)]
    assert cli.main(args) == 2  # an empty data root: the required sources are missing
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err  # one line, no traceback
    assert "required source missing: boundaries" in err and "osm" in err


def test_a_bad_scale_is_one_clear_line(tmp_path, capsys):
    assert cli.main(["generate", "--data", str(tmp_path), "--scale", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "scale must be between 1 and" in err


def test_demo_key_is_refused_outside_the_demo(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    with pytest.raises(ConfigError, match="SMARTCOMMERCE_PSEUDONYM_KEY is not set"):
        probe_key(landing, DEMO_PSEUDONYM_KEY)
    assert probe_key(landing, "a-real-secret") == b"a-real-secret"
    (landing / DEMO_MARKER).parent.mkdir(parents=True)
    (landing / DEMO_MARKER).write_text("{}")
    assert probe_key(landing, DEMO_PSEUDONYM_KEY) == DEMO_PSEUDONYM_KEY.encode()
