"""Reference solutions of the exercises, one file per lesson, for instructors
(``chainrule learn solutions N``). Kept apart from the stubs: ``chainrule learn start`` never
copies them into a workspace."""
