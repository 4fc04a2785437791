"""Importers of other trackers' local data into a nepnb store (``nepnb import-neptune``)."""
