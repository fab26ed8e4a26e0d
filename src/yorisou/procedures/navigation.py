"""Menu entries of the procedure inventory."""
