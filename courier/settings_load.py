"""The configuration with the boot partition's layers: Imager's settings, then courier.toml."""

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from courier.config import Config, load_config
from courier.errors import ConfigError
from courier.imager_apply import imager_layer_text, imager_notice
from courier.settings_file import Settings, SettingsProblem, panel_notices, parse_settings
from courier.settings_secrets import load_settings, stored_uplink_secrets

LOG = logging.getLogger(__name__)
Layer = Mapping[str, Mapping[str, Any]]


def load_with_settings(config_file: Path | None, boot_file: Path,
                       overrides: Layer | None = None) -> tuple[Config, Settings]:
    """Load the configuration with the settings layers; their problems never stop the device."""
    base = load_config(config_file, overrides=overrides)
    data_dir = Path(base.device.data_dir)
    taken = parse_settings(imager_layer_text(data_dir), stored_uplink_secrets(data_dir))
    settings = load_settings(boot_file, data_dir)
    layer = merge_layers(taken.layer, settings.layer)
    try:
        config = load_config(config_file, overrides=overrides, settings=layer)
    except ConfigError as error:  # values valid one by one but not together: leave them out
        problems = tuple(SettingsProblem(None, p) for p in error.problems)
        return base, Settings({}, settings.problems + problems)
    return config, Settings(layer, settings.problems)


def merge_layers(lower: Layer, upper: Layer) -> dict[str, dict[str, Any]]:
    """Return `upper` over `lower`; Wi-Fi networks add up (the upper one wins for a name)."""
    merged: dict[str, dict[str, Any]] = {k: dict(v) for k, v in lower.items()}
    for section, values in upper.items():
        target = merged.setdefault(section, {})
        for key, value in values.items():
            target[key] = value
            if section == "uplink" and key == "wifi":
                names = {network["name"] for network in value}
                target[key] = [*value, *(n for n in lower.get(section, {}).get(key, [])
                                         if n["name"] not in names)]
    return merged


def notices(config: Config, settings: Settings, hotspot: bool) -> tuple[str, ...]:
    """Return what the panel tells the organiser; each also goes to the journal."""
    for problem in settings.problems:
        LOG.warning("%s", problem)
    country = config.hotspot.country or ("-" if not hotspot else "")
    if not country:
        LOG.warning("no Wi-Fi country set: the hotspot uses only channels 1, 6 and 11")
    imager = imager_notice(Path(config.device.data_dir))
    return (*panel_notices(settings, country), *([imager] if imager else []))
