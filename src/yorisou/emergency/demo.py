"""Demo data of Live119 (filled in below)."""
