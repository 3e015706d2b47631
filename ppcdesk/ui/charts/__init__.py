"""Charts: pyqtgraph plots that take a table and ``set_table``, with hover, PNG and CSV export."""
