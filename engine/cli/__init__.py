"""The `noisescope` command line: headless use of the engine."""
