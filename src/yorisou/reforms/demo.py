"""Demo data of the reform plan (filled in below)."""
