"""Issue 19, real faults of the machine: a full disk under the Dagster instance and under the
lake (small tmpfs mounts), a read-only data root (``chattr +i``, which stops root too). Each
ends in one line saying what to do, never a traceback. Skipped where mounting or chattr is not
allowed (they need root)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from assets import cli
from pipelines.demo import generate

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    landing = tmp_path_factory.mktemp("faults") / "landing"
    generate(landing, seed=42, days=1)
    return landing


@pytest.fixture
def tmpfs(tmp_path: Path):
    mounted: list[Path] = []

    def mount(name: str, size: str) -> Path:
        point = tmp_path / name
        point.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)], capture_output=True)
        if done.returncode != 0:
            pytest.skip("cannot mount a tmpfs here (needs root)")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        if subprocess.run(["umount", str(point)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(point)], check=False)  # still busy: detach lazily


def _root(demo_landing: Path, tmp_path: Path) -> Path:
    root = tmp_path / "data"
    shutil.copytree(demo_landing, root / "landing")
    return root


def test_full_disk_under_dagster_home_is_one_line(demo_landing, tmp_path, tmpfs, monkeypatch, capsys):
    home = tmpfs("home", "400k")
    shutil.copy(ROOT / "dagster.yaml", home)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    assert cli.main(["run", "--data", str(_root(demo_landing, tmp_path))]) == cli.EXIT_ENVIRONMENT
    err = capsys.readouterr().err.strip()
    assert err == (
        f"smartcommerce run: error: disk full while writing {home}/storage: free space on the file "
        f"system of {home} (df -h {home}) and run again"
    )


def test_full_disk_under_the_lake_names_it(demo_landing, tmp_path, tmpfs, monkeypatch, capsys):
    root = _root(demo_landing, tmp_path)
    (root / "lake").symlink_to(tmpfs("lake", "1m"), target_is_directory=True)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    assert cli.main(["run", "--data", str(root)]) == cli.EXIT_FAILED
    out = capsys.readouterr().out
    assert "Traceback" not in out
    where = (root / "lake").resolve()
    assert f"disk full while writing the lake: free space on the file system of {where} (df -h {where}) and run again" in out
    assert "(disk full: free space on that file system and run again)" in out


def test_read_only_data_root_is_one_line(demo_landing, tmp_path, monkeypatch, capsys):
    root = _root(demo_landing, tmp_path)
    if subprocess.run(["chattr", "+i", str(root)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not allowed here")
    try:
        monkeypatch.delenv("DAGSTER_HOME", raising=False)
        assert cli.main(["run", "--data", str(root)]) == cli.EXIT_ENVIRONMENT
    finally:
        subprocess.run(["chattr", "-i", str(root)], check=False)
    err = capsys.readouterr().err.strip()
    assert err == (
        f"smartcommerce run: error: permission denied: {root / 'logs'}: make it writable for this "
        "user (or choose another --data root / DAGSTER_HOME) and run again"
    )
