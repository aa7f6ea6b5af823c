"""The pure core: no I/O library is imported anywhere under this package."""
