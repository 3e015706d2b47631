"""Printing: documents built by ppcdesk.reports, rendered to PDF with Qt's PDF writer."""
