"""Adapters: the workbook backends, chosen by name from config."""
