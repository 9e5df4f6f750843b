"""Database work behind the routers (no HTTP here)."""
