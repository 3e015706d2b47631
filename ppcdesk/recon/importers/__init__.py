"""Partner report importers: read a CSV or XLSX file, map its columns, check every row."""
