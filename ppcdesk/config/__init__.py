"""Where things live (paths), what the user chose (settings), and secrets (the OS keyring)."""
