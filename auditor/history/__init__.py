"""The history of audits: where runs are recorded, the store, and what is read back from it
(deltas against the base branch, trends, and the success metrics only many runs can show)."""
