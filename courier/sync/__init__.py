"""Sans-I/O sync logic: what goes to whom, CCA lifecycle, session state machine."""
