"""The partners subsystem's public face: what other packages (and tests) call, re-exported from the modules that
do the work. Callers outside partners import this module only; inside partners, modules import each other.

- `directory`: partner organisations (employers, industry and professional bodies);
- `policy`: each issuer's relevance policy (`require_endorsement`, review cycle, reminder window);
- `labour_market`: ESCO / NOC 2021 / CIP 2021 codes of achievements and ESCO coverage;
- `consultation`: request -> two answers -> endorse / request changes / decline;
- `endorsements`: partner-signed EndorsementCredentials (signing, revoking, documents for issuing, by URL);
- `resign`: legacy endorsements signed again in the standard form;
- `relevance`: review dates, states, the issuing gate (`check_issuable`); `reminders`: idempotent reminders;
- `notifications`: the e-mails a step returns, sent by the caller after its commit.

Like every service they take a `Session`, flush but never commit; every step is recorded in the audit log.
"""

from __future__ import annotations

from microcred.partners.common import MAX_TEXT as MAX_TEXT
from microcred.partners.consultation import DECISIONS as DECISIONS
from microcred.partners.consultation import answer_request as answer_request
from microcred.partners.consultation import get_request as get_request
from microcred.partners.consultation import list_requests as list_requests
from microcred.partners.consultation import request_endorsement as request_endorsement
from microcred.partners.consultation import request_json as request_json
from microcred.partners.consultation import resubmit_request as resubmit_request
from microcred.partners.consultation import review_context as review_context
from microcred.partners.directory import create_partner as create_partner
from microcred.partners.directory import find_partner as find_partner
from microcred.partners.directory import get_partner as get_partner
from microcred.partners.directory import list_partners as list_partners
from microcred.partners.directory import register_partner as register_partner
from microcred.partners.endorsements import Answers as Answers
from microcred.partners.endorsements import current_endorsements as current_endorsements
from microcred.partners.endorsements import endorsement_document as endorsement_document
from microcred.partners.endorsements import endorsement_documents_by_url as endorsement_documents_by_url
from microcred.partners.endorsements import endorsement_documents_for_issuing as endorsement_documents_for_issuing
from microcred.partners.endorsements import endorsement_state as endorsement_state
from microcred.partners.endorsements import endorsement_summary as endorsement_summary
from microcred.partners.endorsements import get_endorsement as get_endorsement
from microcred.partners.endorsements import list_endorsements as list_endorsements
from microcred.partners.endorsements import revoke_endorsement as revoke_endorsement
from microcred.partners.endorsements import sign_endorsement as sign_endorsement
from microcred.partners.labour_market import CIP_2021 as CIP_2021
from microcred.partners.labour_market import NOC_2021 as NOC_2021
from microcred.partners.labour_market import OccupationCoverage as OccupationCoverage
from microcred.partners.labour_market import aligned_concepts as aligned_concepts
from microcred.partners.labour_market import coverage as coverage
from microcred.partners.labour_market import labour_market_codes as labour_market_codes
from microcred.partners.labour_market import set_labour_market_codes as set_labour_market_codes
from microcred.partners.notifications import Notification as Notification
from microcred.partners.notifications import send_notifications as send_notifications
from microcred.partners.policy import DEFAULT_REMINDER_DAYS as DEFAULT_REMINDER_DAYS
from microcred.partners.policy import DEFAULT_REVIEW_MONTHS as DEFAULT_REVIEW_MONTHS
from microcred.partners.policy import Policy as Policy
from microcred.partners.policy import get_policy as get_policy
from microcred.partners.policy import set_policy as set_policy
from microcred.partners.relevance import RELEVANCE_STATES as RELEVANCE_STATES
from microcred.partners.relevance import Relevance as Relevance
from microcred.partners.relevance import check_issuable as check_issuable
from microcred.partners.relevance import record_review as record_review
from microcred.partners.relevance import relevance as relevance
from microcred.partners.relevance import relevance_report as relevance_report
from microcred.partners.reminders import send_reminders as send_reminders
from microcred.partners.resign import endorsements_to_resign as endorsements_to_resign
from microcred.partners.resign import resign_endorsement as resign_endorsement
