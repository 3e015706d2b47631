"""Pure domain values: money, phone numbers, records, clocks, progress, change-sets, errors."""
