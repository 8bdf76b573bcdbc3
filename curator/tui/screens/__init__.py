"""The app's screens, one module each (pipeline, sources, review, versions, train, help)."""
