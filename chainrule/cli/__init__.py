"""The ``chainrule`` command: one file per subcommand."""
