"""Deployment files: the workflows, netlify.toml and the scripts they call."""
import functools
import http.server
import re
import subprocess
import sys
import threading
import tomllib

import yaml

from conftest import REAL_LINES, ROOT


def readme_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)\n```", readme, re.S)
    return blocks[0].strip(), blocks[1].strip()


def test_readme_commands_are_what_ci_and_netlify_run():
    build_command, test_command = readme_commands()
    assert build_command == "pip install . && python build.py"
    assert test_command == "pip install -e '.[test]' && python -m pytest -q"
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python -m pip install --quiet -e '.[test]'" in ci and ci.rstrip().endswith("python -m pytest -q")
    netlify = tomllib.loads((ROOT / "netlify.toml").read_text())
    assert netlify["build"]["command"] == build_command and netlify["build"]["publish"] == "site"
    content_types = {h["for"]: h["values"].get("Content-Type") for h in netlify["headers"]}
    assert content_types["/*.parquet"] == "application/vnd.apache.parquet"
    assert content_types["/*.csv"] == "text/csv; charset=utf-8"


def test_workflows_are_valid_and_scheduled_off_the_hour():
    tests = yaml.safe_load((ROOT / ".github" / "workflows" / "tests.yml").read_text())
    monthly = yaml.safe_load((ROOT / ".github" / "workflows" / "monthly.yml").read_text())
    triggers = monthly[True]  # YAML 1.1 reads the key `on` as true
    assert "workflow_dispatch" in triggers
    minute = triggers["schedule"][0]["cron"].split()[0]
    assert minute not in ("0", "00", "*")
    steps = monthly["jobs"]["publish"]["steps"]
    commands = "\n".join(step.get("run", "") for step in steps)
    assert "python build.py" in commands and "python -m pytest -q" in commands
    assert "scripts/fetch_months.py" in commands and "netlify-cli deploy" in commands
    assert any(step.get("uses", "").startswith("actions/cache") for step in steps)
    assert "bash .ci/run" in "\n".join(step.get("run", "") for step in tests["jobs"]["tests"]["steps"])
    for script in re.findall(r"python (scripts/\w+\.py)", commands):
        assert (ROOT / script).exists(), script


def test_fetch_months_downloads_what_is_missing_and_stops_at_unpublished(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    for name in ("A202501.csv.gz", "A202502.csv.gz"):
        (source / name).write_bytes(REAL_LINES.read_bytes())
    out = tmp_path / "out"
    out.mkdir()
    (out / "A202501.csv.gz").write_bytes(b"already here")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(source))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        done = subprocess.run([sys.executable, str(ROOT / "scripts" / "fetch_months.py"), "--source",
                               f"http://127.0.0.1:{server.server_port}/", "--out", str(out),
                               "--first", "2025-01", "--last", "2025-04"], capture_output=True, text=True)
    finally:
        server.shutdown()
    assert done.returncode == 0, done.stderr
    assert (out / "A202501.csv.gz").read_bytes() == b"already here"  # present: not fetched again
    assert (out / "A202502.csv.gz").read_bytes() == REAL_LINES.read_bytes()
    assert not (out / "A202503.csv.gz").exists() and "pas encore publié" in done.stderr
    assert not list(out.glob("*.partial"))


def test_upload_script_sends_files_over_the_limit(tmp_path):
    month = tmp_path / "cache" / "open-damir" / "months" / "2025-01"
    month.mkdir(parents=True)
    (month / "A202501.parquet").write_bytes(b"x" * 300)
    (month / "A202501.csv.gz").write_bytes(b"y" * 100)
    (month / "record.json").write_text('{"month": "2025-01", "files": [{"name": "A202501.parquet", "bytes": 300},'
                                       ' {"name": "A202501.csv.gz", "bytes": 100}]}')
    config = tmp_path / "site.yaml"
    config.write_text("large_files:\n  max_bytes: 200\n  base_url: https://fichiers.example/\n")
    host = tmp_path / "host"
    command = f"sh -c 'mkdir -p \"$(dirname {host}/$1)\" && cp \"$0\" {host}/$1' {{path}} {{key}}"
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "upload_large_files.py"), "--cache",
                           str(tmp_path / "cache"), "--command", command, "--config", str(config)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (host / "donnees" / "open-damir" / "2025-01" / "A202501.parquet").read_bytes() == b"x" * 300
    assert not (host / "donnees" / "open-damir" / "2025-01" / "A202501.csv.gz").exists()
