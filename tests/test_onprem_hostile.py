"""On-prem sources on hostile or broken local files (issue 20): unreadable is not empty
(an unreadable DICOM file or folder makes the PHI rules `error`, never `pass`), a FIFO in
a DICOM folder is skipped without blocking, an nginx include cycle is an error for that
server (not a crash of the whole on-prem scan), and a large Orthanc configuration with
comments parses in linear time."""

import errno
import os
import time
from datetime import datetime, timezone

import pytest

from enamel_hipaa.core.engine import evaluate
from enamel_hipaa.sources.onprem import file_store, nginx, orthanc
from enamel_hipaa.workflows.demo.localservers import write_dicom
from conftest import shipped_rules

NOW = datetime(2026, 11, 24, tzinfo=timezone.utc)
RULES = {r.id: r for r in shipped_rules().rules}


def _status(rule_id: str, res) -> str:
    (f,) = evaluate([RULES[rule_id]], [res], now=NOW)
    return f.status


def _store(tmp_path, n_dicom_without_phi=1):
    d = tmp_path / "export"
    for i in range(n_dicom_without_phi):
        write_dicom(d / f"anon{i}.dcm", "", "", "")
    (d / "secret").mkdir()
    write_dicom(d / "secret" / "IMG.dcm", "DOE^JANE", "ID-1", "19700101")
    return d


def test_readable_store_with_phi_fails_as_a_reference(tmp_path):
    res = file_store.collect({"name": "x", "path": str(_store(tmp_path))}, [])
    assert _status("dicom-store-phi-outside-archive", res) == "fail"


def test_unreadable_dicom_file_makes_phi_rules_error_never_pass(tmp_path, monkeypatch):
    d = _store(tmp_path)
    real_open = os.open

    def deny(path, flags, *a, **k):  # root ignores chmod 000: refuse the open instead
        if str(path).endswith("IMG.dcm"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *a, **k)

    monkeypatch.setattr(os, "open", deny)
    res = file_store.collect({"name": "x", "path": str(d)}, [])
    assert "$error" in res.properties["phi_files"] and res.properties["unreadable"] == 1
    assert _status("dicom-store-phi-outside-archive", res) == "error"
    assert _status("dicom-store-stale-phi", res) == "error"


def test_unreadable_dicom_folder_makes_phi_rules_error_never_pass(tmp_path, monkeypatch):
    d = _store(tmp_path)
    real_scandir = os.scandir

    def deny(path=".", *a, **k):
        if str(path).endswith("secret"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_scandir(path, *a, **k)

    monkeypatch.setattr(os, "scandir", deny)
    res = file_store.collect({"name": "x", "path": str(d)}, [])
    assert "secret" in res.properties["phi_files"]["$error"]
    assert _status("dicom-store-phi-outside-archive", res) == "error"


def test_unreadable_folder_with_phi_found_elsewhere_still_fails(tmp_path, monkeypatch):
    d = _store(tmp_path)
    write_dicom(d / "IMG2.dcm", "DOE^JOHN", "ID-2", "19700101")
    real_scandir = os.scandir
    monkeypatch.setattr(
        os,
        "scandir",
        lambda p=".", *a, **k: (
            (_ for _ in ()).throw(PermissionError(errno.EACCES, "Permission denied", str(p)))
            if str(p).endswith("secret")
            else real_scandir(p, *a, **k)
        ),
    )
    res = file_store.collect({"name": "x", "path": str(d)}, [])
    assert res.properties["phi_files"] == 1 and _status("dicom-store-phi-outside-archive", res) == "fail"


def test_unreadable_store_as_nobody_is_error(tmp_path):
    """The real thing, when the tests may drop privileges: a folder `nobody` cannot list."""
    if os.geteuid() != 0:
        pytest.skip("needs root to switch to nobody")
    import json
    import pwd
    import subprocess
    import sys

    d = _store(tmp_path)
    os.chmod(d / "secret", 0o000)
    for p in (tmp_path, d):
        os.chmod(p, 0o755)
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no nobody user")
    code = (
        "import json,sys; from enamel_hipaa.sources.onprem import file_store; "
        "r = file_store.collect({'name': 'x', 'path': sys.argv[1]}, []); print(json.dumps(r.properties))"
    )
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code, str(d)],
            capture_output=True,
            text=True,
            timeout=120,
            user=nobody.pw_uid,
            group=nobody.pw_gid,
            env={**os.environ, "HOME": "/tmp"},
            cwd="/",
        )
    except PermissionError:
        pytest.skip("the interpreter is not executable by nobody here (the monkeypatched tests cover it)")
    if proc.returncode != 0 and "Permission denied" in proc.stderr and "enamel_hipaa" in proc.stderr:
        pytest.skip("the package is not readable by nobody here")
    assert proc.returncode == 0, proc.stderr
    props = json.loads(proc.stdout)
    assert "$error" in props["phi_files"]


def test_fifo_in_a_dicom_folder_is_skipped_without_blocking(tmp_path):
    d = _store(tmp_path)
    os.mkfifo(d / "pipe.dcm")
    t0 = time.monotonic()
    res = file_store.collect({"name": "x", "path": str(d)}, [])
    assert time.monotonic() - t0 < 10
    assert res.properties["phi_files"] == 1 and "unreadable" not in res.properties


# --- nginx --------------------------------------------------------------------------------


def _nginx(tmp_path, main: str, files: dict) -> str:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "nginx.conf").write_text(main)
    return str(tmp_path / "nginx.conf")


@pytest.mark.parametrize(
    "files",
    [
        {"a.conf": "include a.conf;\n"},  # includes itself
        {"a.conf": "include b.conf;\n", "b.conf": "include a.conf;\n"},  # a -> b -> a
    ],
)
def test_nginx_include_cycle_is_an_error_for_that_server_not_a_crash(tmp_path, files):
    conf = _nginx(tmp_path, "events {}\nhttp {\n  include a.conf;\n  server { listen 80; }\n}\n", files)
    res, proxies = nginx.collect({"name": "proxy", "config": conf})
    assert len(res) == 1 and "include cycle" in res[0].error and proxies == []


def test_nginx_including_the_same_file_twice_is_not_a_cycle(tmp_path):
    conf = _nginx(
        tmp_path,
        "events {}\nhttp {\n  include h.conf;\n  include h.conf;\n  server { listen 80; }\n}\n",
        {"h.conf": "add_header X-Frame-Options DENY;\n"},
    )
    res, _ = nginx.collect({"name": "proxy", "config": conf})
    assert len(res) == 1 and res[0].error is None


def test_nginx_main_file_that_is_a_fifo_is_an_error_not_a_hang(tmp_path):
    os.mkfifo(tmp_path / "nginx.conf")
    res, _ = nginx.collect({"name": "proxy", "config": str(tmp_path / "nginx.conf")})
    assert "FIFO" in res[0].error


# --- Orthanc ------------------------------------------------------------------------------


def test_large_orthanc_config_with_comments_parses_in_linear_time(tmp_path):
    body = ",\n".join(
        f'  // setting {i}\n  /* block {i} */ "Key{i}" : {{"v": [1, 2, 3,], "s": "a // b /* c */"}}'
        for i in range(9000)
    )
    text = "{\n" + body + ',\n  "RemoteAccessAllowed": false\n}\n'
    assert len(text) > 700_000
    f = tmp_path / "orthanc.json"
    f.write_text(text)
    t0 = time.monotonic()
    cfg, files, _ = orthanc.load_merged(f)
    took = time.monotonic() - t0
    assert cfg["RemoteAccessAllowed"] is False and cfg["Key8999"]["s"] == "a // b /* c */"
    assert took < 8, took


def test_orthanc_comment_stripping_keeps_strings_and_line_numbers():
    text = '{\n  // "Fake": 1\n  "Url": "http://host//path", /* two\nlines */ "B": [1,],\n  "C": "x\\"//y"\n}\n'
    assert orthanc.parse_config(text) == {"Url": "http://host//path", "B": [1], "C": 'x"//y'}
    stripped = orthanc._TOKENS.sub(orthanc._strip, text)
    assert stripped.count("\n") == text.count("\n")


def test_orthanc_duplicate_key_is_a_config_error(tmp_path):
    f = tmp_path / "orthanc.json"
    f.write_text('{"Name": "a", // c\n "Name": "b"}')
    with pytest.raises(orthanc.ConfigError, match="duplicate key"):
        orthanc.load_merged(f)
