"""Evidence: what the tracker and the package index say about each distribution."""
