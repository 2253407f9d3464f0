"""amends: customer recovery from plain files."""
