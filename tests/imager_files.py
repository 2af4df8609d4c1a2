"""Boot-partition files as Raspberry Pi Imager 2.0 writes them for each init format (test data).

Shapes read from raspberrypi/rpi-imager v2.0.11 (src/customization_generator.cpp and
src/downloadthread.cpp): what each format writes and the kernel command line words it appends.
Values here are made up; the Wi-Fi key is the 64-hex PBKDF2 PSK Imager stores.
"""

PSK = "c4d3" * 16
PRISTINE_CMDLINE = ("console=tty0 console=ttyS1,115200 root=LABEL=COURIER-ROOT ro rootwait "
                    "fsck.repair=yes")

FIRSTRUN = f"""#!/bin/bash

set +e

CURRENT_HOSTNAME=`cat /etc/hostname | tr -d " \\t\\n\\r"`
if [ -f /usr/lib/raspberrypi-sys-mods/imager_custom ]; then
   /usr/lib/raspberrypi-sys-mods/imager_custom set_hostname courier-kisumu
else
   echo courier-kisumu >/etc/hostname
fi
FIRSTUSER=`getent passwd 1000 | cut -d: -f1`
if [ -f /usr/lib/userconf-pi/userconf ]; then
   /usr/lib/userconf-pi/userconf 'amina' '$5$salt$hash'
fi
if [ -f /usr/lib/raspberrypi-sys-mods/imager_custom ]; then
   /usr/lib/raspberrypi-sys-mods/imager_custom enable_ssh
fi
if [ -f /usr/lib/raspberrypi-sys-mods/imager_custom ] && true; then
   /usr/lib/raspberrypi-sys-mods/imager_custom set_wlan 'Kisumu Office'"'"'s' '{PSK}' 'KE'
else
cat >/etc/wpa_supplicant/wpa_supplicant.conf <<'WPAEOF'
country=KE
ctrl_interface=DIR=/var/run/wpa_supplicant GROUP=netdev
ap_scan=1

update_config=1
network={{
\tssid="Kisumu Office's"
\tkey_mgmt=WPA-PSK SAE
\tpsk={PSK}
\tieee80211w=1
}}
WPAEOF
   chmod 600 /etc/wpa_supplicant/wpa_supplicant.conf
fi
if [ -f /usr/lib/raspberrypi-sys-mods/imager_custom ]; then
   /usr/lib/raspberrypi-sys-mods/imager_custom set_keymap 'us'
   /usr/lib/raspberrypi-sys-mods/imager_custom set_timezone 'Africa/Nairobi'
else
   rm -f /etc/localtime
   echo "Africa/Nairobi" >/etc/timezone
   dpkg-reconfigure -f noninteractive tzdata
fi
rm -f /boot/firstrun.sh
sed -i 's| systemd.run.*||g' /boot/cmdline.txt
exit 0
"""
FIRSTRUN_CMDLINE = (PRISTINE_CMDLINE + " cfg80211.ieee80211_regdom=KE systemd.run=/boot/firstrun.sh"
                    " systemd.run_success_action=reboot systemd.unit=kernel-command-line.target")

USER_DATA = """#cloud-config
hostname: courier-goma
manage_etc_hosts: true
timezone: Africa/Lubumbashi
keyboard:
  model: pc105
  layout: "fr"
users:
- name: amina
  groups: users,adm,dialout,audio,netdev,video,plugdev,cdrom,games,input,gpio,spi,i2c,render,sudo
  shell: /bin/bash
  lock_passwd: false
  passwd: $5$salt$hash
ssh_pwauth: true
"""
NETWORK_CONFIG = f"""network:
  version: 2
  ethernets:
    eth0:
      dhcp4: true
      dhcp6: true
      optional: true
  wifis:
    wlan0:
      dhcp4: true
      regulatory-domain: "CD"
      access-points:
        "Bureau Goma":
          password: "{PSK}"
      optional: true
"""
CLOUD_INIT_CMDLINE = (PRISTINE_CMDLINE
                      + " cfg80211.ieee80211_regdom=CD ds=nocloud;i=rpi-imager-1764800000000")

PRESEED = f"""[wlan]
ssid = "Cafe Lagos"
password = "{PSK}"
password_encrypted = true
hidden = false
country = "NG"

[locale]
keymap = "gb"
timezone = "Africa/Lagos"
"""
PRESEED_CMDLINE = PRISTINE_CMDLINE + " cfg80211.ieee80211_regdom=NG"

# init format -> (files on the boot partition, cmdline.txt, country, time zone, Wi-Fi name)
FORMATS = {
    "systemd": ({"firstrun.sh": FIRSTRUN}, FIRSTRUN_CMDLINE, "KE", "Africa/Nairobi",
                "Kisumu Office's"),
    "cloudinit": ({"user-data": USER_DATA, "network-config": NETWORK_CONFIG,
                   "meta-data": "instance-id: rpi-imager-1764800000000\n"}, CLOUD_INIT_CMDLINE,
                  "CD", "Africa/Lubumbashi", "Bureau Goma"),
    "rpi-preseed": ({"rpi-preseed.toml": PRESEED}, PRESEED_CMDLINE, "NG", "Africa/Lagos",
                    "Cafe Lagos"),
}
