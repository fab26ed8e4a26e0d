"""Menu entries of the reform plan."""
