"""Reference FastAPI application that the opsgate suites verify."""
