"""The one place the issuing pipeline's steps are registered, in the order they run.

Gates run first (a refusal names what is missing), then contributors (each adds its part to the credential; order
matters: the assessment decides the results before the issuer's results are considered), then, once the award is
stored, the after-issue hooks. Each step lives in the subsystem that owns what it checks or adds.
"""

from __future__ import annotations

from microcred.assessments.issuing import AssessmentResults
from microcred.awards.issuing import IssuerResults
from microcred.issuance import AfterIssue, Contributor, Gate
from microcred.partners.issuing import PartnerEndorsements, RelevanceGate
from microcred.transcripts.issuing import PathwayCompletions, PrerequisiteGate, TranscriptFields

GATES: tuple[Gate, ...] = (PrerequisiteGate(), RelevanceGate())
CONTRIBUTORS: tuple[Contributor, ...] = (
    AssessmentResults(),
    IssuerResults(),
    TranscriptFields(),
    PartnerEndorsements(),
)
AFTER_ISSUE: tuple[AfterIssue, ...] = (PathwayCompletions(),)
