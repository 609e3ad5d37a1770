"""Loading the source silos into the operational store.

This is the straightforward loader of the foundation: it reads every silo file that
`telcrm generate` writes (and the same shapes from a real operator, see
docs/silos.md), validates each row, keeps every rejected row with its file, line,
field and reason, and never loads a row twice. CDRs are not loaded here: they belong
to the analytic store.
"""
