"""``audit export``, ``students delete|purge``, ``teacher export``: privacy work for operators."""
