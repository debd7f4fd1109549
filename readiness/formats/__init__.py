"""Report formats: each renders the one report object to text."""
