"""Section-aware review and sign-off: ownership rules, review rounds, verdicts that record
the content hashes they cover, comment threads, and the approval that makes a major version."""
