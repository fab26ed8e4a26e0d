"""Live119: video and location for 119 emergency calls."""
