"""The standards core: pure functions and values, no database, web or settings.

    from microcred.vc import Ed25519Key, sign_data_integrity, sign_jwt, Verifier
"""

from microcred.vc.contexts import ContextRegistry
from microcred.vc.dataintegrity import sign_data_integrity, verify_proof
from microcred.vc.errors import (
    JsonLdError,
    JsonLdSafeModeError,
    KeyFormatError,
    KeyResolutionError,
    SchemaValidationError,
    SigningError,
    UnknownContextError,
    VCError,
)
from microcred.vc.jose import sign_jwt, verify_jwt
from microcred.vc.keys import Ed25519Key, KeyFile, load_key_file
from microcred.vc.resolvers import (
    ChainResolver,
    DidKeyResolver,
    KeyResolver,
    PinnedKeyResolver,
    ResolvedKey,
    TrustedHostResolver,
    default_resolver,
)
from microcred.vc.verifier import CheckResult, VerificationResult, Verifier

__all__ = [
    "ChainResolver",
    "CheckResult",
    "ContextRegistry",
    "DidKeyResolver",
    "Ed25519Key",
    "JsonLdError",
    "JsonLdSafeModeError",
    "KeyFile",
    "KeyFormatError",
    "KeyResolutionError",
    "KeyResolver",
    "PinnedKeyResolver",
    "ResolvedKey",
    "SchemaValidationError",
    "SigningError",
    "TrustedHostResolver",
    "UnknownContextError",
    "VCError",
    "VerificationResult",
    "Verifier",
    "default_resolver",
    "load_key_file",
    "sign_data_integrity",
    "sign_jwt",
    "verify_jwt",
    "verify_proof",
]
