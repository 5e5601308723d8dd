"""The public directory as the matcher sees it: bulk loading and a per-worker cache."""
