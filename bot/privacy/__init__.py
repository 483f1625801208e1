"""Privacy: how long notes and the audit log are kept (retention), deleting a school or
everything about a person for good, and exporting everything kept about either."""
