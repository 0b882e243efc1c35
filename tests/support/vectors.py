from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# Byte-exact copies of the published samples and vectors, kept in the repository (provenance and licences:
# tests/fixtures/README.md) so that a fresh clone tests itself.
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
EXAMPLES = FIXTURES / "spec" / "examples"
W3C = FIXTURES / "vectors" / "eddsa-rdfc-2022"
W3C_CONTEXTS = FIXTURES / "vectors" / "contexts"


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


# The W3C vc-di-eddsa unsigned AlumniCredential (TestVectors/unsigned.json): the fixture copy holds its canonical
# form, hashes and proof configuration; the document itself is restated here and proven equal to them below.
W3C_UNSIGNED: dict[str, Any] = {
    "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "description": "A minimum viable example of an Alumni Credential.",
    "issuer": "https://vc.example/issuers/5678",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
}
