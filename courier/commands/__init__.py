"""Sub-commands of the `courier` command line, one module each."""
