"""Tracking stores: the Store interface, the embedded local store and (later) the HTTP store."""
