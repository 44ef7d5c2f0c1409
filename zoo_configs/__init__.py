"""Versioned training configs: one file per (variant, dataset), each with get_config()."""
