"""microcred: micro-credentials on Open Badges 3.0 and Verifiable Credentials 2.0."""

__version__ = "0.1.0"
