"""Follow-ups: the work a pain answer creates for its touchpoint's owner (issue 14)."""
