"""Analysis over the span store's numpy columns: findings, duration percentiles, trace compare.

Pure computation, no I/O: callers (the CLI, the hub) load spans and print or send the results.
"""
