"""The business rules, free of HTTP and LiveKit; each public function owns its transaction."""
