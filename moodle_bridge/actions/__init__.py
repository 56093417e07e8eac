"""Actions back to Moodle, decided by the rules: dry run first, `--apply` to act, all logged."""
