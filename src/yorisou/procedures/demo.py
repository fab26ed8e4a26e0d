"""Demo data of the procedure inventory (filled in below)."""
