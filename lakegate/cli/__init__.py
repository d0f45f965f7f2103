"""The `lakegate` command line."""
