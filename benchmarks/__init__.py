"""Speed and memory measurements of shellgen (run by ``make bench``; never by tests)."""
