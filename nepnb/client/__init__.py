"""The client: objects (Run, Project, Model, ModelVersion), handlers, modes and auto-logging."""
