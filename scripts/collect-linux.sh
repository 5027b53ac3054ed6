#!/bin/sh
# Enamel Linux host export (format enamel.linux/1) for PACS servers.
#
#   sh collect-linux.sh [--image-store PATH] [--index-db PATH]
#                       [--orthanc-config PATH] [--nginx-config PATH] > pacs01.json
#
# Prints one JSON document: the properties of an `onprem.linux_host` resource
# (rules/schema/types/onprem.linux_host.json; docs/linux-export.md). Read-only: it changes
# nothing and writes only to stdout. Runs as any user; what it cannot read (a missing
# command, a denied file) is written as null and named in "errors", never guessed as safe.
# POSIX sh + awk/sed/tr; lsblk, sshd, systemctl, apt-config, stat, date -d are used when present.

set -u
LC_ALL=C
export LC_ALL

IMAGE_STORE=""
INDEX_DB=""
ORTHANC_CONFIG=""
NGINX_CONFIG=""
while [ $# -gt 0 ]; do
    case "$1" in
        --image-store) IMAGE_STORE="${2-}"; shift 2 || exit 2 ;;
        --index-db) INDEX_DB="${2-}"; shift 2 || exit 2 ;;
        --orthanc-config) ORTHANC_CONFIG="${2-}"; shift 2 || exit 2 ;;
        --nginx-config) NGINX_CONFIG="${2-}"; shift 2 || exit 2 ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) echo "collect-linux.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done

ERRORS=""   # newline-separated notes on what could not be read

note() { ERRORS="${ERRORS}$1
"; }
have() { command -v "$1" >/dev/null 2>&1; }
# bound a command when timeout(1) exists
run() { if have timeout; then timeout 10 "$@"; else "$@"; fi; }

# JSON string for $1 (control characters dropped, \ " tab CR newline escaped)
jstr() {
    printf '%s' "$1" | tr -d '\000-\010\013\014\016-\037' | awk '
        BEGIN { ORS = ""; print "\"" }
        { gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); gsub(/\t/, "\\t"); gsub(/\r/, "\\r")
          if (NR > 1) print "\\n"; print }
        END { print "\"" }'
}
# JSON string, or null when $1 is empty
jstrn() { if [ -n "$1" ]; then jstr "$1"; else printf 'null'; fi; }
# JSON boolean from true/false, else null
jbool() { case "$1" in true|false) printf '%s' "$1" ;; *) printf 'null' ;; esac; }
# JSON integer, else null
jint() { case "$1" in ''|*[!0-9]*) printf 'null' ;; *) printf '%s' "$1" ;; esac; }

# ISO-8601 UTC from epoch seconds (GNU date -d @N or BSD date -r N)
iso_of_epoch() {
    case "$1" in ''|*[!0-9]*) return 0 ;; esac
    date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || date -u -r "$1" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || true
}
mtime_epoch() { [ -e "$1" ] && stat -c %Y "$1" 2>/dev/null || true; }

# ---------------------------------------------------------------- host
HOSTNAME_V=""
if [ -r /proc/sys/kernel/hostname ]; then HOSTNAME_V=$(cat /proc/sys/kernel/hostname 2>/dev/null)
elif have hostname; then HOSTNAME_V=$(hostname 2>/dev/null)
else HOSTNAME_V=$(uname -n 2>/dev/null); fi
[ -n "$HOSTNAME_V" ] || note "hostname: not readable"
KERNEL=$(uname -r 2>/dev/null || true)

osr() {  # value of key $1 in /etc/os-release (quotes removed)
    [ -r /etc/os-release ] || return 0
    sed -n "s/^$1=//p" /etc/os-release | head -n 1 | sed 's/^"\(.*\)"$/\1/; s/^'"'"'\(.*\)'"'"'$/\1/'
}
[ -r /etc/os-release ] || note "os_release: /etc/os-release not readable"

AS_ROOT=false
[ "$(id -u 2>/dev/null)" = "0" ] && AS_ROOT=true

# ---------------------------------------------------------------- block devices
LSBLK_JSON=""
if have lsblk; then
    LSBLK_JSON=$(run lsblk -J -o NAME,TYPE,FSTYPE,MOUNTPOINT 2>/dev/null || true)
    case "$LSBLK_JSON" in "{"*) ;; *) LSBLK_JSON=""; note "lsblk: no JSON output" ;; esac
else
    note "lsblk: not installed"
fi

SYS_BLOCK=${ENAMEL_SYS_CLASS_BLOCK:-/sys/class/block}   # override for tests

# is sysfs block device $1 (e.g. dm-0, sda1) dm-crypt, or stacked on dm-crypt? true/false
crypt_in_stack() {
    depth=${2:-0}
    [ "$depth" -gt 8 ] && { echo false; return; }
    if [ -r "$SYS_BLOCK/$1/dm/uuid" ]; then
        case "$(cat "$SYS_BLOCK/$1/dm/uuid" 2>/dev/null)" in CRYPT-*) echo true; return ;; esac
    fi
    for s in "$SYS_BLOCK/$1"/slaves/*; do
        [ -e "$s" ] || continue
        if [ "$(crypt_in_stack "$(basename "$s")" $((depth + 1)))" = true ]; then echo true; return; fi
    done
    echo false
}

# Section builders set R (not printed: notes must survive, so no $(...) subshell around them)

# storage object for path $1 (label $2 for notes)
path_storage() {
    p=$1; label=$2
    if [ -z "$p" ]; then R=null; return; fi
    if [ ! -e "$p" ]; then
        note "storage.$label: $p does not exist or is not accessible"
        R=$(printf '{"path":%s,"exists":false,"device":null,"mount_point":null,"fs_type":null,"encrypted":null,"encryption":null}' "$(jstr "$p")")
        return
    fi
    line=$(df -P "$p" 2>/dev/null | awk 'NR == 2 { print $1 "\t" $NF }')
    dev=$(printf '%s' "$line" | cut -f1)
    mnt=$(printf '%s' "$line" | cut -f2)
    fst=$(df -PT "$p" 2>/dev/null | awk 'NR == 2 { print $2 }' || true)
    [ -n "$fst" ] || fst=$(awk -v m="$mnt" '$2 == m { t = $3 } END { print t }' /proc/mounts 2>/dev/null || true)
    enc=""; how=""
    case "$dev" in
        /dev/*)
            real=$(readlink -f "$dev" 2>/dev/null || printf '%s' "$dev")
            name=$(basename "$real")
            if [ -d "$SYS_BLOCK/$name" ]; then
                enc=$(crypt_in_stack "$name")
            elif have lsblk; then
                if run lsblk -nrs -o TYPE "$real" 2>/dev/null | grep -qx crypt; then enc=true
                elif run lsblk -nrs -o TYPE "$real" >/dev/null 2>&1; then enc=false; fi
            fi
            [ -n "$enc" ] || note "storage.$label: cannot read the device stack of $dev"
            ;;
        *) note "storage.$label: $p is on '${dev:-?}' (${fst:-unknown} filesystem), not a block device: encryption unknown" ;;
    esac
    [ "$enc" = true ] && how="dm-crypt"
    R=$(printf '{"path":%s,"exists":true,"device":%s,"mount_point":%s,"fs_type":%s,"encrypted":%s,"encryption":%s}' \
        "$(jstr "$p")" "$(jstrn "$dev")" "$(jstrn "$mnt")" "$(jstrn "$fst")" "$(jbool "$enc")" "$(jstrn "$how")")
}

# ---------------------------------------------------------------- patching
PKG=""; UU_INSTALLED=""; UU_ENABLED=""; LAST_UPDATE=""; LAST_UPGRADE=""
if have apt-get || [ -d /var/lib/apt ]; then
    PKG=apt
    if [ -x /usr/bin/unattended-upgrade ] || [ -x /usr/bin/unattended-upgrades ]; then UU_INSTALLED=true; else UU_INSTALLED=false; fi
    uu_val=""
    if have apt-config; then
        uu_val=$(run apt-config dump 2>/dev/null | sed -n 's/^APT::Periodic::Unattended-Upgrade "\(.*\)";$/\1/p' | tail -n 1)
    else
        uu_val=$(cat /etc/apt/apt.conf.d/* 2>/dev/null | sed -n 's/^[[:space:]]*APT::Periodic::Unattended-Upgrade[[:space:]]*"\([^"]*\)".*/\1/p' | tail -n 1)
    fi
    if [ "$UU_INSTALLED" = false ]; then UU_ENABLED=false
    else case "$uu_val" in ''|0) UU_ENABLED=false ;; *) UU_ENABLED=true ;; esac; fi
    for f in /var/lib/apt/periodic/update-success-stamp /var/lib/apt/periodic/update-stamp; do
        e=$(mtime_epoch "$f"); [ -n "$e" ] && { LAST_UPDATE=$(iso_of_epoch "$e"); break; }
    done
    [ -n "$LAST_UPDATE" ] || note "patching.last_update_at: no /var/lib/apt/periodic stamp"
    # last upgrade: the later of unattended-upgrades' stamp and the last apt history entry that upgraded
    best=$(mtime_epoch /var/lib/apt/periodic/upgrade-stamp)
    e=$(mtime_epoch /var/lib/apt/periodic/unattended-upgrades-stamp)
    [ -n "$e" ] && { [ -z "$best" ] || [ "$e" -gt "$best" ]; } && best=$e
    hist=""
    if [ -r /var/log/apt/history.log ]; then
        hist=$(awk '/^Start-Date:/ { d = $2 " " $3 } /^Upgrade:/ { last = d } END { print last }' /var/log/apt/history.log)
    fi
    if [ -z "$hist" ] && [ -r /var/log/apt/history.log.1.gz ] && have gzip; then
        hist=$(gzip -dc /var/log/apt/history.log.1.gz 2>/dev/null | awk '/^Start-Date:/ { d = $2 " " $3 } /^Upgrade:/ { last = d } END { print last }')
    fi
    if [ -n "$hist" ]; then  # history.log dates are local time
        e=$(date -d "$hist" +%s 2>/dev/null || true)
        if [ -n "$e" ]; then { [ -z "$best" ] || [ "$e" -gt "$best" ]; } && best=$e
        else note "patching.last_upgrade_at: cannot convert apt history date '$hist'"; fi
    fi
    LAST_UPGRADE=$(iso_of_epoch "$best")
    [ -n "$LAST_UPGRADE" ] || note "patching.last_upgrade_at: no upgrade recorded in apt history or stamps"
elif have dnf || have yum; then
    PKG=$(have dnf && echo dnf || echo yum)
    UU_INSTALLED=false; UU_ENABLED=false
    if have systemctl; then
        for t in dnf-automatic-install.timer dnf-automatic.timer yum-cron.service; do
            st=$(run systemctl is-enabled "$t" 2>/dev/null || true)
            [ "$st" = enabled ] && { UU_INSTALLED=true; UU_ENABLED=true; }
        done
    else UU_INSTALLED=""; UU_ENABLED=""; note "patching: systemctl missing, automatic updates unknown"; fi
    if have rpm; then
        e=$(rpm -qa --qf '%{INSTALLTIME}\n' 2>/dev/null | sort -n | tail -n 1)
        LAST_UPGRADE=$(iso_of_epoch "$e")
    fi
    [ -n "$LAST_UPGRADE" ] || note "patching.last_upgrade_at: no rpm install time"
    note "patching.last_update_at: not recorded for $PKG"
else
    note "patching: no apt, dnf or yum found"
fi

# ---------------------------------------------------------------- ssh
SSH_INSTALLED=false; SSH_SOURCE=""; SSH_PA=""; SSH_PRL=""
SSHD=""
SSHD_CONFIG=${ENAMEL_SSHD_CONFIG:-/etc/ssh/sshd_config}   # override for tests
SSH_DIR=$(dirname "$SSHD_CONFIG")
if have sshd; then SSHD=$(command -v sshd); elif [ -x /usr/sbin/sshd ]; then SSHD=/usr/sbin/sshd; fi
[ -n "$SSHD" ] || [ -e "$SSHD_CONFIG" ] && SSH_INSTALLED=true
if [ -n "$SSHD" ]; then
    eff=$(run "$SSHD" -T -f "$SSHD_CONFIG" 2>/dev/null || true)
    if [ -n "$eff" ]; then
        SSH_SOURCE="sshd -T"
        SSH_PA=$(printf '%s\n' "$eff" | awk '$1 == "passwordauthentication" { print $2; exit }')
        SSH_PRL=$(printf '%s\n' "$eff" | awk '$1 == "permitrootlogin" { print $2; exit }')
    fi
fi
if [ -z "$SSH_SOURCE" ] && [ -e "$SSHD_CONFIG" ]; then
    if [ -r "$SSHD_CONFIG" ]; then
        # Include files expanded in place (one level, relative to the config's directory); Match blocks ignored;
        # first value wins, as in sshd
        expanded=$(awk -v dir="$SSH_DIR" '
            tolower($1) == "match" { exit }
            tolower($1) == "include" {
                for (i = 2; i <= NF; i++) {
                    pat = $i; if (pat !~ /^\//) pat = dir "/" pat
                    if (pat !~ /^[A-Za-z0-9_.\/*?-]+$/) continue   # never hand odd text to the shell
                    cmd = "for f in " pat "; do [ -r \"$f\" ] && cat \"$f\"; echo; done"
                    while ((cmd | getline l) > 0) print l
                    close(cmd)
                }
                next
            }
            { print }' "$SSHD_CONFIG" 2>/dev/null)
        first() { printf '%s\n' "$expanded" | awk -v k="$1" '
            /^[[:space:]]*#/ { next } tolower($1) == "match" { exit }
            tolower($1) == k { v = $2; sub(/^"/, "", v); sub(/"$/, "", v); print tolower(v); exit }'; }
        SSH_PA=$(first passwordauthentication); SSH_PRL=$(first permitrootlogin)
        SSH_SOURCE=sshd_config
        # OpenSSH defaults when not set
        if [ -z "$SSH_PA" ]; then SSH_PA=yes; SSH_SOURCE="sshd_config+defaults"; fi
        if [ -z "$SSH_PRL" ]; then SSH_PRL=prohibit-password; SSH_SOURCE="sshd_config+defaults"; fi
    else
        note "ssh: $SSHD_CONFIG not readable and sshd -T unavailable"
    fi
fi

# ---------------------------------------------------------------- auditd
AUD_INSTALLED=false; AUD_ACTIVE=""
{ have auditd || [ -x /sbin/auditd ] || [ -x /usr/sbin/auditd ] || [ -e /etc/audit/auditd.conf ]; } && AUD_INSTALLED=true
if have systemctl; then
    st=$(run systemctl is-active auditd 2>/dev/null || true)
    case "$st" in active) AUD_ACTIVE=true ;; inactive|failed|unknown) AUD_ACTIVE=false ;; esac
fi
if [ -z "$AUD_ACTIVE" ]; then
    if [ -r /proc/1/comm ]; then
        AUD_ACTIVE=false
        grep -qx auditd /proc/[0-9]*/comm 2>/dev/null && AUD_ACTIVE=true
    else note "auditd.active: neither systemctl nor /proc answer"; fi
fi
[ "$AUD_INSTALLED" = false ] && [ "$AUD_ACTIVE" != true ] && AUD_ACTIVE=false

# ---------------------------------------------------------------- FIPS
FIPS=""
if [ -r /proc/sys/crypto/fips_enabled ]; then
    case "$(cat /proc/sys/crypto/fips_enabled 2>/dev/null)" in 1) FIPS=true ;; 0) FIPS=false ;; esac
elif [ -d /proc/sys ] && [ ! -e /proc/sys/crypto/fips_enabled ]; then
    FIPS=false   # kernel without FIPS mode support: not in FIPS mode
fi
[ -n "$FIPS" ] || note "fips_enabled: /proc/sys/crypto/fips_enabled not readable"

# ---------------------------------------------------------------- log retention
# logrotate settings for the first /etc/logrotate.d file mentioning $1: "rotations period_days"
logrotate_for() {
    for f in /etc/logrotate.d/*; do
        [ -r "$f" ] && grep -q "$1" "$f" 2>/dev/null || continue
        awk '$1 == "rotate" { r = $2 } $1 == "daily" { p = 1 } $1 == "weekly" { p = 7 }
             $1 == "monthly" { p = 30 } $1 == "yearly" { p = 365 }
             $1 == "maxage" { m = $2 }
             END { if (p == "") p = 7; if (r != "") print r * p; else if (m != "") print m }' "$f"
        return
    done
}

# ---------------------------------------------------------------- nginx
nginx_json() {
    [ -n "$NGINX_CONFIG" ] || { R=null; return; }
    if [ ! -r "$NGINX_CONFIG" ]; then
        note "nginx: $NGINX_CONFIG not readable"
        R=$(printf '{"config_path":%s,"config_readable":false,"access_log":null,"access_log_off":null,"retention_days":null}' "$(jstr "$NGINX_CONFIG")")
        return
    fi
    base=$(dirname "$NGINX_CONFIG")
    conf=$(awk -v base="$base" '
        { line = $0; sub(/#.*/, "", line) }
        line ~ /^[[:space:]]*include[[:space:]]/ {
            n = split(line, a, /[[:space:];]+/)
            for (i = 1; i <= n; i++) if (a[i] != "" && a[i] != "include") {
                pat = a[i]; if (pat !~ /^\//) pat = base "/" pat
                if (pat !~ /^[A-Za-z0-9_.\/*?-]+$/) continue   # never hand odd text to the shell
                cmd = "for f in " pat "; do [ -r \"$f\" ] && cat \"$f\"; echo; done"
                while ((cmd | getline l) > 0) print l
                close(cmd)
            }
            next
        }
        { print line }' "$NGINX_CONFIG" 2>/dev/null)
    logs=$(printf '%s\n' "$conf" | awk '$1 == "access_log" { v = $2; sub(/;$/, "", v); print v }')
    off=false
    printf '%s\n' "$logs" | grep -qx off && off=true
    arr=""; sep=""
    for l in $logs; do arr="$arr$sep$(jstr "$l")"; sep=","; done
    ret=$(logrotate_for nginx)
    [ -n "$arr" ] || note "nginx: no access_log directive (nginx then logs to its compiled-in default)"
    R=$(printf '{"config_path":%s,"config_readable":true,"access_log":[%s],"access_log_off":%s,"retention_days":%s}' \
        "$(jstr "$NGINX_CONFIG")" "$arr" "$off" "$(jint "$ret")")
}

# ---------------------------------------------------------------- orthanc
orthanc_json() {
    [ -n "$ORTHANC_CONFIG" ] || { R=null; return; }
    readable=false; [ -r "$ORTHANC_CONFIG" ] && readable=true
    [ "$readable" = true ] || note "orthanc: $ORTHANC_CONFIG not readable"
    running=""; logdir=""; logfile=""
    if [ -r /proc/1/cmdline ]; then
        running=false
        for comm in $(grep -lix 'orthanc' /proc/[0-9]*/comm 2>/dev/null); do
            c="${comm%/comm}/cmdline"
            args=$(tr '\000' '\n' < "$c" 2>/dev/null) || continue
            case "$(printf '%s\n' "$args" | head -n 1)" in *[Oo]rthanc) ;; *) continue ;; esac
            running=true
            logdir=$(printf '%s\n' "$args" | sed -n 's/^--logdir=//p' | head -n 1)
            logfile=$(printf '%s\n' "$args" | sed -n 's/^--logfile=//p' | head -n 1)
            break
        done
    else note "orthanc: /proc not readable, process options unknown"; fi
    to_file=""
    if [ "$running" = true ]; then
        if [ -n "$logdir$logfile" ]; then to_file=true; else to_file=false; fi
    fi
    ret=$(logrotate_for orthanc)
    R=$(printf '{"config_path":%s,"config_readable":%s,"process_running":%s,"log_dir":%s,"log_file":%s,"logs_to_file":%s,"retention_days":%s}' \
        "$(jstr "$ORTHANC_CONFIG")" "$readable" "$(jbool "$running")" "$(jstrn "$logdir")" "$(jstrn "$logfile")" \
        "$(jbool "$to_file")" "$(jint "$ret")")
}

# ---------------------------------------------------------------- output
path_storage "$IMAGE_STORE" image_store; IMG_JSON=$R
path_storage "$INDEX_DB" index_db; IDX_JSON=$R
nginx_json; NGINX_JSON=$R
orthanc_json; ORTHANC_JSON=$R

ERR_JSON=""; sep=""
OLDIFS=$IFS; IFS='
'
for e in $ERRORS; do ERR_JSON="$ERR_JSON$sep$(jstr "$e")"; sep=","; done
IFS=$OLDIFS

printf '{\n'
printf '  "format": "enamel.linux/1",\n'
printf '  "collected_at": %s,\n' "$(jstr "$(date -u +%Y-%m-%dT%H:%M:%SZ)")"
printf '  "collected_as_root": %s,\n' "$AS_ROOT"
printf '  "hostname": %s,\n' "$(jstrn "$HOSTNAME_V")"
printf '  "os_release": {"id": %s, "version_id": %s, "pretty_name": %s},\n' \
    "$(jstrn "$(osr ID)")" "$(jstrn "$(osr VERSION_ID)")" "$(jstrn "$(osr PRETTY_NAME)")"
printf '  "kernel": %s,\n' "$(jstrn "$KERNEL")"
printf '  "lsblk": %s,\n' "${LSBLK_JSON:-null}"
printf '  "storage": {"image_store": %s, "index_db": %s},\n' "$IMG_JSON" "$IDX_JSON"
printf '  "patching": {"package_manager": %s, "unattended_upgrades_installed": %s, "unattended_upgrades_enabled": %s, "last_update_at": %s, "last_upgrade_at": %s},\n' \
    "$(jstrn "$PKG")" "$(jbool "$UU_INSTALLED")" "$(jbool "$UU_ENABLED")" "$(jstrn "$LAST_UPDATE")" "$(jstrn "$LAST_UPGRADE")"
printf '  "ssh": {"installed": %s, "source": %s, "password_authentication": %s, "permit_root_login": %s},\n' \
    "$SSH_INSTALLED" "$(jstrn "$SSH_SOURCE")" "$(jstrn "$SSH_PA")" "$(jstrn "$SSH_PRL")"
printf '  "auditd": {"installed": %s, "active": %s},\n' "$AUD_INSTALLED" "$(jbool "$AUD_ACTIVE")"
printf '  "fips_enabled": %s,\n' "$(jbool "$FIPS")"
printf '  "nginx": %s,\n' "$NGINX_JSON"
printf '  "orthanc": %s,\n' "$ORTHANC_JSON"
printf '  "errors": [%s]\n' "$ERR_JSON"
printf '}\n'
