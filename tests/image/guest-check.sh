#!/bin/sh
# Runs inside the booted SD image as root (systemd.run on the kernel command line; this file comes
# on a small read-only probe disk, the image itself is untouched). Reports "SMOKE ..." lines on the
# console for tests/image/boot.py; the host delivers cargo once it reads "SMOKE serving".
set -u
exec >/dev/console 2>&1
say() { echo "SMOKE $*"; }
# wait_for SECONDS COMMAND...: poll once a second until COMMAND succeeds.
wait_for() {
    limit=$1; shift; waited=0
    until "$@" >/dev/null 2>&1; do
        waited=$((waited + 1)); [ "$waited" -ge "$limit" ] && return 1; sleep 1
    done
}
prop() { systemctl show -p "$2" --value "$1"; }
active() { [ "$(prop "$1" ActiveState)" = active ] && [ "$(prop "$1" SubState)" = running ]; }
# Boot is over when no job other than ours is queued.
settled() { [ "$(systemctl list-jobs --no-legend | grep -vc kernel-command-line)" = 0 ]; }
stored() {
    runuser -u courier -- /opt/courier/venv/bin/courier status --json \
        --config /etc/courier/courier.toml --data-dir /var/lib/courier
}
has_cargo() { stored | grep -q '"cargo_to_internet": [2-9]'; }  # both cargo the host sends
restarted() { [ "$(prop courier.service NRestarts)" -ge 1 ] && active courier.service \
    && [ "$(prop courier.service MainPID)" != "$1" ]; }

wait_for 600 settled || say "warning: jobs still queued: $(systemctl list-jobs --no-legend | xargs)"
failed=$(systemctl list-units --state=failed --no-legend --plain | awk '{print $1}' | xargs)
say "failed-units [$failed]"
for unit in $failed; do
    journalctl -b -u "$unit" --no-pager -o cat | tail -n 20 | sed "s/^/SMOKE-LOG $unit: /"
done
wait_for 120 active courier.service || say "courier.service is $(prop courier.service ActiveState)"
pid=$(prop courier.service MainPID)
say "courier-user $(awk '/^Uid:/ {print $2}' "/proc/$pid/status") $(id -u courier)"
say "courier-status $(awk '/^(CapEff|CapBnd|NoNewPrivs|Seccomp):/ {printf "%s%s ", $1, $2}' "/proc/$pid/status")"
say "courier-ready-monotonic-usec $(prop courier.service ActiveEnterTimestampMonotonic)"
say "userspace-usec $(prop init.scope ActiveEnterTimestampMonotonic)"
say "security $(systemd-analyze security courier.service 2>/dev/null | grep -o 'Overall exposure level.*')"
say "root-mount $(findmnt -no OPTIONS / | cut -d, -f1)"
say "boot-mount $(findmnt -no OPTIONS /boot/firmware | cut -d, -f1)"
say "data-mb $(df -m --output=size /data | tail -1 | tr -d ' ')"
say "logins gettys=$(systemctl list-units 'getty@*' 'serial-getty@*' 'console-getty*' --state=active --no-legend --plain | wc -l) root=$(passwd -S root | cut -d' ' -f2) sshd=$(ls /usr/sbin/sshd 2>/dev/null | wc -l)"
say "imager-undone cmdline=$(grep -c -e systemd.run -e kernel-command-line /boot/firmware/cmdline.txt) firstrun=$(ls /boot/firmware | grep -ci firstrun)"
say "imager-journal $(journalctl -b -u courier-settings.service -o cat | grep -c "Imager's customisation found")"
say "settings $(runuser -u courier -- /opt/courier/venv/bin/courier config show --config /etc/courier/courier.toml | grep -E '^(country|time_zone) = ' | tr -d '"' | xargs)"
say "secret-on-card $(grep -c office-secret-99 /boot/firmware/courier.toml)"
say "firstboot-keys $(ls /var/lib/courier/keys | xargs)"
# wifi.json's shape and rights, never its content (the passphrase stays on the device).
wifi=/var/lib/courier/keys/wifi.json
say "wifi-json $(stat -c 'mode=%a owner=%U' "$wifi" 2>/dev/null || echo missing) $(/opt/courier/venv/bin/python -c '
import json, re, sys
from pathlib import Path
from courier.net.credentials import load_wifi_credentials
raw = json.loads(Path(sys.argv[1]).read_text())
loaded = load_wifi_credentials(Path("/var/lib/courier"))
print("keys=" + ",".join(sorted(raw)), "ssid-ok=%d" % bool(re.fullmatch(r"Courier-[A-Z0-9]{4}",
      loaded.ssid)), "passphrase-chars=%d" % len(loaded.passphrase))
' "$wifi" 2>&1 | tail -1)"
# Every listening TCP socket and every unconnected UDP socket: protocol, address, process.
listening() { ss -Htulnp | awk '{ split($0, p, "\""); print $1 "|" $5 "|" p[2] }' | sort -u | xargs; }
say "listening $(listening)"
say "restarts-before $(prop courier.service NRestarts)"
say "serving"

wait_for 600 has_cargo || say "no cargo arrived"
say "stored $(stored)"
say "direct-refused $(journalctl -b -u courier.service | grep -c 'refuses O_DIRECT')"
say "cipher $(journalctl -b -u courier.service -o cat | grep -o 'the store seals with [a-z0-9-]*' | tail -1 | awk '{print $NF}')"
say "cpu-features $(grep -m1 '^Features' /proc/cpuinfo | cut -d: -f2 | xargs)"
# A hung daemon: frozen, it stops pinging the watchdog; systemd must kill and restart it.
kill -STOP "$pid"
started=$(date +%s)
wait_for 180 restarted "$pid" || say "not restarted: $(prop courier.service ActiveState)"
say "watchdog-journal $(journalctl -b -u courier.service --no-pager -o cat | grep -c 'Watchdog timeout')"
say "watchdog-restart after=$(( $(date +%s) - started ))s result=$(prop courier.service Result) restarts=$(prop courier.service NRestarts)"
say "stored-after-restart $(stored)"
say "done"
