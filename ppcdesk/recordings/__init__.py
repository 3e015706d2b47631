"""Recording audio on disk: the cache of downloaded files."""
