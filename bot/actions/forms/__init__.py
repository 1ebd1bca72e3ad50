"""One module per form: its FormValidationAction."""
