"""Statements, exports and evidence packets: documents built from the data, never from Qt."""
