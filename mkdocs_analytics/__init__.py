"""mkdocs-analytics: privacy-first engagement analytics for MkDocs sites."""

__version__ = "0.1.0"
