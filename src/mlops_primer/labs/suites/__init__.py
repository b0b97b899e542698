"""The check suites, one module per lab (see ``labs.SUITES``)."""
