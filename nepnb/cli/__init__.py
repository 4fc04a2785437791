"""The ``nepnb`` command line."""
