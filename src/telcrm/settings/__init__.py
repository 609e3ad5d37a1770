"""Settings modules: ``base`` (embedded defaults), ``production`` and ``test``."""
