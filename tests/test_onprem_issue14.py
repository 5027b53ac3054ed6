"""Issue 14 on-prem classes without a server: Orthanc deployments and environment
configuration, weak credentials, nginx includes/placeholders/stream, PACS correlation,
unknowable values, Windows build table."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from enamel_hipaa.sources.onprem import file_store, nginx, orthanc, orthanc_deploy, weakcreds, winbuilds, windows

WEAK = weakcreds.load()


def _orthanc(tmp_path, entry, cfg=None):
    if cfg is not None:
        (tmp_path / "orthanc.json").write_text(json.dumps(cfg))
        entry.setdefault("config", str(tmp_path / "orthanc.json"))
    entry.setdefault("name", "pacs")
    entry.setdefault("version", "1.12.9")
    return orthanc.collect(entry, [], 1.0, WEAK)


def test_orthancteam_image_turns_remote_access_and_auth_on_and_env_turns_auth_off(tmp_path):
    res = _orthanc(
        tmp_path,
        {
            "deployment": "docker",
            "image": "orthancteam/orthanc:25.8.0",
            "environment": {"ORTHANC__AUTHENTICATION_ENABLED": "false"},
        },
        {"Name": "x"},
    )
    assert res.error is None
    assert res.properties["remote_access_allowed"] is True
    assert res.properties["authentication_enabled"] is False


def test_orthancteam_user_file_key_overrides_image_default_instead_of_refusing(tmp_path):
    res = _orthanc(tmp_path, {"deployment": "docker", "image": "osimis/orthanc"}, {"RemoteAccessAllowed": False})
    assert res.error is None and res.properties["remote_access_allowed"] is False


def test_orthanc_json_env_and_secret_file_are_read(tmp_path):
    (tmp_path / "users").write_text('{"alice": "orthanctest"}')
    res = _orthanc(
        tmp_path,
        {
            "deployment": "docker",
            "image": "orthancteam/orthanc",
            "config": str(tmp_path / "orthanc.json"),
            "environment": {
                "ORTHANC_JSON": '{"SslEnabled": true} ',
                "ORTHANC__REGISTERED_USERS_SECRET": str(tmp_path / "users"),
            },
        },
        {},
    )
    assert res.properties["ssl_enabled"] is True
    assert res.properties["weak_password_users"] == ["alice"]


def test_compose_service_environment_configures_orthanc(tmp_path):
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  pacs:\n    image: orthancteam/orthanc\n    environment:\n"
        '      - \'ORTHANC__REGISTERED_USERS={"demo": "demo"}\'\n      - DICOM_WEB_PLUGIN_ENABLED=true\n'
    )
    res = _orthanc(
        tmp_path,
        {
            "deployment": "docker",
            "image": "orthancteam/orthanc",
            "compose": str(tmp_path / "docker-compose.yml"),
            "service": "pacs",
        },
    )
    assert res.properties["weak_password_users"] == ["demo"]
    assert res.properties["plugins_enabled"] == ["dicom_web"]


def test_unknown_deployment_makes_remote_access_and_authentication_unknown(tmp_path):
    res = _orthanc(tmp_path, {}, {"Name": "x"})
    assert "$unknown" in res.properties["remote_access_allowed"]
    assert "$unknown" in res.properties["authentication_enabled"]


def test_jodogne_file_beside_image_config_with_same_key_is_refused(tmp_path):
    (tmp_path / "extra.json").write_text('{"RemoteAccessAllowed": false}')
    res = _orthanc(
        tmp_path, {"deployment": "docker", "image": "jodogne/orthanc", "config": str(tmp_path / "extra.json")}
    )
    assert res.error and "defined twice" in res.error


def test_weak_password_list_catches_samples_and_never_keeps_passwords(tmp_path):
    for user, pw in (("demo", "demo"), ("admin", "password"), ("admin", "123456"), ("bob", "bob"), ("x", "short")):
        assert WEAK.is_weak(user, pw), (user, pw)
    assert not WEAK.is_weak("dr-lee", "Hunter2-very-secret-Pw")
    res = _orthanc(
        tmp_path, {"deployment": "debian"}, {"RemoteAccessAllowed": True, "RegisteredUsers": {"admin": "123456"}}
    )
    assert "123456" not in json.dumps(res.properties)
    assert len(WEAK.to_try()) <= WEAK.max_attempts


def test_modalities_in_database_make_the_count_unknown_and_db_plugin_tls_is_read(tmp_path):
    res = _orthanc(
        tmp_path,
        {"deployment": "debian"},
        {
            "DicomModalitiesInDatabase": True,
            "HttpsVerifyPeers": False,
            "PostgreSQL": {"EnableIndex": True, "Host": "db"},
        },
    )
    assert "$unknown" in res.properties["dicom_modalities_count"]
    assert res.properties["https_verify_peers"] is False
    assert res.properties["database_plugins"] == [
        {"plugin": "PostgreSQL", "host": "db", "enable_ssl": False, "local_socket": False}
    ]


def test_truncated_walk_makes_stale_phi_unknown_with_files_read(tmp_path):
    for i in range(3):
        (tmp_path / f"f{i}").write_bytes(b"not dicom")
    res = file_store.collect({"name": "c", "path": str(tmp_path), "max_files": 2}, [])
    assert "reading 2 files" in res.properties["oldest_phi_age_days"]["$unknown"]


def test_env_name_conversion_follows_the_configurator():
    cfg, _ = orthanc_deploy.env_config(
        {"ORTHANC__POSTGRESQL__ENABLE_SSL": "true", "ORTHANC__DICOM_WEB__ENABLE": "true"}, {}
    )
    assert cfg == {"PostgreSQL": {"EnableSsl": True}, "DicomWeb": {"Enable": True}}


# --- nginx -------------------------------------------------------------------------------


def _conf(tmp_path, text, name="nginx.conf"):
    p = tmp_path / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return str(p)


def test_include_glob_resolving_to_nothing_makes_checks_unknown_naming_it(tmp_path):
    cfg = _conf(tmp_path, "server { listen 80; include /etc/nginx/enabled-sites/*.conf; }\n")
    (res,), _ = nginx.collect({"name": "n", "config": cfg})
    why = res.properties["redirects_to_https"]["$unknown"]
    assert "/etc/nginx/enabled-sites/*.conf" in why and "$unknown" in res.properties["pacs_proxies_without_auth"]


def test_absolute_include_resolves_under_root(tmp_path):
    _conf(tmp_path, "location /pacs/ { proxy_pass http://orthanc:8042/; }\n", "root/etc/nginx/inc/p.conf")
    cfg = _conf(
        tmp_path, "server { listen 80; include /etc/nginx/inc/*.conf; }\n", "root/etc/nginx/conf.d/default.conf"
    )
    (res,), _ = nginx.collect({"name": "n", "config": cfg, "root": str(tmp_path / "root")})
    assert res.properties["pacs_proxies_without_auth"]  # the included location was read


def test_placeholder_without_value_is_a_one_line_error_and_with_value_is_rendered(tmp_path):
    cfg = _conf(tmp_path, "server { listen {{ port }}; server_name ${SERVER_NAME}; }\n")
    (res,), _ = nginx.collect({"name": "n", "config": cfg})
    assert res.error and "{{ port }}" in res.error and "\n" not in res.error and "nginx.conf:1" in res.error
    (res,), _ = nginx.collect({"name": "n", "config": cfg, "variables": {"port": "80", "SERVER_NAME": "pacs"}})
    assert res.error is None and res.properties["server_names"] == ["pacs"]


def test_stream_server_is_a_tls_endpoint_judged_on_protocols(tmp_path):
    cfg = _conf(
        tmp_path,
        "stream { server { listen 11112 ssl; ssl_protocols SSLv3 TLSv1; "
        "ssl_certificate c.pem; proxy_pass 127.0.0.1:104; } }\n",
    )
    (res,), _ = nginx.collect({"name": "n", "config": cfg})
    assert res.properties["protocol"] == "stream" and res.properties["ssl_enabled"] is True
    assert res.properties["ssl_protocols"] == ["SSLv3", "TLSv1"]
    assert res.properties["tcp_proxy_targets"] == ["127.0.0.1:104"]
    assert res.properties["dicom_proxy"] is True  # usual DICOM ports


@pytest.mark.parametrize(
    "target,pacs",
    [("http://arc:8080/dcm4chee-arc", True), ("http://app:3000/dicom-web", True), ("http://app:3000/static", False)],
)
def test_dcm4chee_and_dicomweb_paths_are_recognised_as_pacs(tmp_path, target, pacs):
    cfg = _conf(tmp_path, "server { listen 80; location /x/ { proxy_pass %s; } }\n" % target)
    (res,), _ = nginx.collect({"name": "n", "config": cfg})
    assert bool(res.properties["pacs_proxies_without_auth"]) is pacs


def test_upstream_correlated_with_inventory_pacs_by_host_name(tmp_path):
    cfg = _conf(tmp_path, "server { listen 80; location /pacs/ { proxy_pass http://orthanc:8042/; } }\n")
    auth = [{"name": "o", "hosts": ["orthanc"], "port": 8042, "product": "orthanc", "authenticates": True}]
    (res,), _ = nginx.collect({"name": "n", "config": cfg}, (), auth)
    assert res.properties["pacs_proxies_without_auth"] == []
    auth[0]["authenticates"] = False
    (res,), _ = nginx.collect({"name": "n", "config": cfg}, (), auth)
    assert res.properties["pacs_proxies_without_auth"]


def test_nginx_version_decides_default_protocols():
    assert nginx.default_protocols("1.29.8")[0] == ["TLSv1.2", "TLSv1.3"]
    assert "TLSv1" in nginx.default_protocols(None)[0]


# --- Windows -----------------------------------------------------------------------------


def test_windows_build_table_judges_release_end_and_patch_level():
    table = winbuilds.load()
    today = dt.date(2026, 11, 28)
    assert winbuilds.support(26100, 7171, "Microsoft Windows 11 Enterprise", table, today)["supported"] is True
    assert winbuilds.support(26100, 7171, "Microsoft Windows 11 Pro", table, today)["supported"] is False
    assert winbuilds.support(22631, 9999, "Microsoft Windows 11 Enterprise", table, today)["supported"] is False
    assert winbuilds.support(19045, 9999, "Microsoft Windows 10 Pro", table, today)["supported"] is False
    assert winbuilds.support(19045, 9999, "Microsoft Windows 10 Pro", table, today, esu=True)["supported"] is True
    assert winbuilds.support(26100, 10, "Microsoft Windows 11 Enterprise", table, today)["patch_current"] is False
    assert (
        "$unknown" in winbuilds.support(26100, None, "Microsoft Windows 11 Enterprise", table, today)["patch_current"]
    )


def test_windows_export_ubr_is_read(tmp_path):
    p = tmp_path / "w.json"
    p.write_text(
        json.dumps(
            {
                "format": "enamel.windows/1",
                "computer_name": "OP1",
                "os": {"Caption": "Microsoft Windows 11 Enterprise", "BuildNumber": "26100", "UBR": "7171"},
            }
        )
    )
    res = windows.collect({"file": str(p)}, winbuilds.load(), dt.date(2026, 11, 28))
    assert res.properties["os_ubr"] == 7171 and res.properties["os_support"]["supported"] is True


def test_unreadable_targets_are_source_errors_so_the_scan_is_incomplete(tmp_path):
    import yaml

    from enamel_hipaa.sources.onprem import collect_inventory

    inv = tmp_path / "inv.yaml"
    inv.write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "orthanc": [{"name": "gone", "deployment": "debian", "config": str(tmp_path / "missing.json")}],
                "nginx": [{"name": "gone-nginx", "config": str(tmp_path / "missing.conf")}],
            }
        )
    )
    col = collect_inventory(str(inv))
    assert len(col.errors) == 2 and all("not found" in e.message for e in col.errors)
