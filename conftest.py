"""opsgate's pytest entry point: every run loads the target file and the opsgate plugin."""

pytest_plugins = ["fixtures.plugin"]
