"""Demo data of online applications (filled in below)."""
