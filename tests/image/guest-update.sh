#!/bin/sh
# Runs inside the booted SD image as root (systemd.run) for tests/image/update_run.py, one boot of
# an A/B update at a time; the stage comes on the read-only probe disk with this file. Reports
# "SMOKE ..." lines on the console; the host delivers cargo when it reads "SMOKE serving".
#   install VERSION: report, take cargo, wait for the update helper to offer VERSION from the USB
#          stick, confirm it as the daemon does (over the helper's socket, as user courier);
#          the helper installs and reboots into the trial
#   trial: wait for courier-update-health, report, take cargo, then power off (or, once the
#          health check gives up on the trial, let it reboot)
#   final: report and power off
set -u
exec >/dev/console 2>&1
say() { echo "SMOKE $*"; }
wait_for() {
    limit=$1; shift; waited=0
    until "$@" >/dev/null 2>&1; do
        waited=$((waited + 1)); [ "$waited" -ge "$limit" ] && return 1; sleep 1
    done
}
prop() { systemctl show -p "$2" --value "$1"; }
settled() { [ "$(systemctl list-jobs --no-legend | grep -vc kernel-command-line)" = 0 ]; }
stored() {
    runuser -u courier -- /opt/courier/venv/bin/courier status --json \
        --config /etc/courier/courier.toml --data-dir /var/lib/courier
}
json_field() { /opt/courier/venv/bin/python -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
has_cargo() { [ "$(stored | json_field cargo_to_internet)" -ge "$1" ]; }
# The health check has run (active or failed), or was skipped (its condition checked, not met).
health_done() {
    case "$(prop courier-update-health.service ActiveState)" in
        active|failed) true ;;
        *) [ "$(prop courier-update-health.service ConditionResult)" = no ] \
            && [ "$(prop courier-update-health.service ConditionTimestampMonotonic)" != 0 ] ;;
    esac
}
boot_files() { echo "config=$(sed -n 's/^os_prefix=//p' /boot/firmware/config.txt) tryboot=$(sed -n 's/^os_prefix=//p' /boot/firmware/tryboot.txt 2>/dev/null || echo none) slots=$(tr '\n' ',' 2>/dev/null < /boot/firmware/slots.txt)"; }
slot() { say "slot $(sed -n 's/.*rauc\.slot=\([AB]\).*/\1/p' /proc/cmdline) root=$(findmnt -no SOURCE /)"; }
report() {
    slot
    say "version $(/opt/courier/venv/bin/courier --version | awk '{print $2}')"
    say "update-ca $(stored | json_field update_ca)"
    say "boot-files $(boot_files)"
    say "keys tls-sha256=$(sha256sum < /var/lib/courier/keys/tls.crt | cut -c1-16) store-key=$(stat -c '%i:%Y' /var/lib/courier/keys/store.key)"
    say "stored-count $(stored | json_field cargo_to_internet)"
}
# The update helper's status file, one field (offer: "VERSION SOURCE"; refused: "a|b").
helper_field() {
    /opt/courier/venv/bin/python -c 'import json, sys
s = json.load(open("/run/courier-update/status.json"))
o = s["offer"]
print({"offer": o and "%s %s" % (o["version"], o["source"]), "refused": "|".join(s["refused"]),
       "state": s["state"], "words": s["words"],
       "progress": "%s%% %s" % (s["percent"], s["words"])}[sys.argv[1]] or "")' "$1" 2>/dev/null
}
offered() { [ "$(helper_field offer)" = "$1 usb" ]; }
ASK_INSTALL='import asyncio, json, sys
from pathlib import Path
from courier.app.control import ask
answer = asyncio.run(ask(Path("/run/courier-update/control.sock"),
                         {"command": "install", "version": sys.argv[1]}, lambda _p: None))
print(json.dumps(answer))'
# What the daemon said about updates (the panel's words: trying, updated, failed).
courier_words() {
    journalctl -b -u courier.service -o cat --no-pager | grep -E 'update: ' \
        | sed 's/^/SMOKE-LOG courier: /'
}
stage=$(cat /mnt/stage)
set -- $stage
settle() { wait_for 600 settled || say "warning: jobs queued: $(systemctl list-jobs --no-legend | xargs)"; }
case "$1" in
install)
    settle
    wait_for 300 test "$(prop courier.service ActiveState)" = active
    report
    have=$(stored | json_field cargo_to_internet)
    say "serving"
    wait_for 600 has_cargo $((have + 2)) || say "no cargo arrived"
    say "stored-count $(stored | json_field cargo_to_internet)"
    # The USB stick was plugged in before boot: the update helper (courier-update.service)
    # found it, mounted it read-only, checked its bundles and offers the newest good one.
    wait_for 300 offered "$2" || say "warning: no offer of $2: $(cat /run/courier-update/status.json 2>&1)"
    say "offer $(helper_field offer)"
    helper_field refused | tr '|' '\n' | sed 's/^/SMOKE-LOG refused: /'
    # The courier's long press on the update screen: the daemon (user courier) asks the helper
    # to install the version it showed. The helper installs, then reboots into the trial.
    started=$(date +%s.%N)
    runuser -u courier -- /opt/courier/venv/bin/python -c "$ASK_INSTALL" "$2" > /run/ask.log 2>&1 &
    last=""
    until [ "$(helper_field state)" = rebooting ] || [ "$(helper_field state)" = failed ]; do
        now=$(helper_field progress)
        [ "$now" != "$last" ] && echo "SMOKE-LOG progress: $now" && last=$now
        sleep 1
    done
    say "install state=$(helper_field state) seconds=$(echo "$(date +%s.%N) $started" | awk '{printf "%.1f", $1 - $2}') words=$(helper_field words)"
    say "after-install $(boot_files)"
    # The helper reboots with "0 tryboot" after a pause; a failed install leaves us to stop.
    [ "$(helper_field state)" = failed ] && { sed 's/^/SMOKE-LOG ask: /' /run/ask.log; systemctl poweroff; }
    sleep 600
    exit 0
    ;;
trial)
    slot
    # Follow the health check's words as they come (not waiting for the boot to settle: the
    # check is part of it): the journal is in RAM and the check may reboot at once.
    journalctl -b -f -u courier-update-health.service -o cat --no-pager \
        | sed -u 's/^/SMOKE-LOG health: /' &
    ticks=0
    until health_done; do
        [ $((ticks % 20)) = 0 ] && say "trial courier=$(prop courier.service ActiveState)/$(prop courier.service SubState) restarts=$(prop courier.service NRestarts)"
        ticks=$((ticks + 1))
        sleep 1
    done
    settle
    say "health $(prop courier-update-health.service Result)"
    # The check's verdict, read again once it has run: the follower above may start too late for
    # a quick verdict. The unit's lines carry its name, whichever journal field they come under.
    journalctl -b -o cat --no-pager | grep '^courier-update-health: ' \
        | sed 's/^/SMOKE-LOG health-journal: /'
    report
    have=$(stored | json_field cargo_to_internet)
    say "serving"
    wait_for 600 has_cargo $((have + 2)) || say "no cargo arrived"
    say "stored-count $(stored | json_field cargo_to_internet)"
    courier_words
    say "done"
    systemctl poweroff
    ;;
*)
    settle
    report
    wait_for 300 test "$(prop courier.service ActiveState)" = active
    courier_words
    say "rauc $(rauc status --output-format=json 2>/dev/null | /opt/courier/venv/bin/python -c 'import json, sys; s = json.load(sys.stdin); print("booted=%s boot_primary=%s" % (s["booted"], s["boot_primary"]))')"
    say "done"
    systemctl poweroff
    ;;
esac
