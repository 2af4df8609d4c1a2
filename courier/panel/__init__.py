"""What the device shows and hears: screens, LED patterns, button gestures (pure code)."""
