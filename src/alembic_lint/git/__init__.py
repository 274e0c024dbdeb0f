"""Git, as plumbing only: trees at a revision, the merge base, the predicted merge, deletions."""
