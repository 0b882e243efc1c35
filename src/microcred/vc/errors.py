"""The exception hierarchy of the standards core: one base, a few precise kinds."""

from __future__ import annotations


class VCError(Exception):
    """Base of every error raised by microcred.vc."""


class UnknownContextError(VCError):
    """A JSON-LD context URL that is not bundled nor explicitly trusted."""

    def __init__(self, url: str) -> None:
        super().__init__(f"unknown JSON-LD context {url!r}: not bundled or trusted (contexts are never fetched)")
        self.url = url


class JsonLdSafeModeError(VCError):
    """A property or type that the contexts do not define (it would be silently dropped)."""


class JsonLdError(VCError):
    """The document is not valid JSON-LD."""


class KeyFormatError(VCError):
    """A key or key file that cannot be understood."""


class SigningError(VCError):
    """A credential could not be signed (invalid document, schema failure...)."""


class SchemaValidationError(SigningError):
    """The credential does not conform to its 1EdTech JSON Schema."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("credential does not match the OB 3.0 JSON Schema: " + "; ".join(errors[:5]))
        self.errors = errors


class KeyResolutionError(VCError):
    """A verification method could not be resolved to a public key."""
