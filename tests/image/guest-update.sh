#!/bin/sh
# Runs inside the booted SD image as root (systemd.run) for tests/image/update_run.py, one boot of
# an A/B update at a time; the stage comes on the read-only probe disk with this file. Reports
# "SMOKE ..." lines on the console; the host delivers cargo when it reads "SMOKE serving".
#   install STICK_FILE: report, take cargo, install the bundle from the USB stick, trial reboot
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
    # The USB stick: the first partition of the usb-storage disk (a vfat stick, by its label).
    wait_for 60 test -e /dev/disk/by-label/COURIERUSB
    mkdir -p /run/stick && mount -o ro /dev/disk/by-label/COURIERUSB /run/stick
    if [ -n "${3:-}" ]; then
        /opt/courier/venv/bin/python -m courier.update.install "/run/stick/$3" > /run/refused.log 2>&1
        say "refused code=$?"
        tail -n 4 /run/refused.log | sed 's/^/SMOKE-LOG refused: /'
    fi
    started=$(date +%s.%N)
    /opt/courier/venv/bin/python -m courier.update.install "/run/stick/$2" > /run/install.log 2>&1
    code=$?
    say "install code=$code seconds=$(echo "$(date +%s.%N) $started" | awk '{printf "%.1f", $1 - $2}')"
    grep -v '^ *[0-9]*%' /run/install.log | tail -n 12 | sed 's/^/SMOKE-LOG install: /'
    say "after-install $(boot_files)"
    umount /run/stick
    sync
    # The firmware's one-shot trial boot: the kernel passes "0 tryboot" on to it.
    if [ "$code" = 0 ]; then systemctl reboot "0 tryboot"; else systemctl poweroff; fi
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
    say "done"
    systemctl poweroff
    ;;
*)
    settle
    report
    say "rauc $(rauc status --output-format=json 2>/dev/null | /opt/courier/venv/bin/python -c 'import json, sys; s = json.load(sys.stdin); print("booted=%s boot_primary=%s" % (s["booted"], s["boot_primary"]))')"
    say "done"
    systemctl poweroff
    ;;
esac
