"""`microcred demo`: seed an Ontario college, an employer partner, three published micro-credentials aligned to
real ESCO v1.1.1 concepts, two earners and signed awards with evidence, partner endorsements, a pathway, demo
accounts and an earner's wallet set-up. Idempotent (fixed uuid5 ids).

The package sits above every domain subsystem and below `cli` and `web`; no domain package imports it. One module
per area, importing each other only downwards: `ids` and `esco` at the bottom, then `issuers`, `catalog`,
`earners`, `assessments`, `awards`, `partners`, `transcripts`, `accounts`, `ownership`, and `seed` (the order of
the steps) on top. This module is the package's face: every name callers use is re-exported here.
"""

from __future__ import annotations

from microcred.demo.accounts import DEMO_LINK_LIFETIME as DEMO_LINK_LIFETIME
from microcred.demo.accounts import REVIEWER as REVIEWER
from microcred.demo.accounts import STAFF as STAFF
from microcred.demo.accounts import seed_demo_users as seed_demo_users
from microcred.demo.assessments import ASSESSMENTS as ASSESSMENTS
from microcred.demo.assessments import RUBRIC_LEVELS as RUBRIC_LEVELS
from microcred.demo.awards import AWARDS as AWARDS
from microcred.demo.awards import LIFECYCLE_AWARDS as LIFECYCLE_AWARDS
from microcred.demo.catalog import ACHIEVEMENTS as ACHIEVEMENTS
from microcred.demo.catalog import PRIVACY as PRIVACY
from microcred.demo.earners import EARNERS as EARNERS
from microcred.demo.earners import find_earner_id as find_earner_id
from microcred.demo.esco import ATTEND_TO_DETAIL as ATTEND_TO_DETAIL
from microcred.demo.esco import COMPLY_FOOD_SAFETY as COMPLY_FOOD_SAFETY
from microcred.demo.esco import CYBER_SECURITY as CYBER_SECURITY
from microcred.demo.esco import DEMONSTRATE_CURIOSITY as DEMONSTRATE_CURIOSITY
from microcred.demo.esco import ESCO_FRAMEWORK as ESCO_FRAMEWORK
from microcred.demo.esco import FOOD_SAFETY_STANDARDS as FOOD_SAFETY_STANDARDS
from microcred.demo.esco import IDENTIFY_ICT_RISKS as IDENTIFY_ICT_RISKS
from microcred.demo.esco import PERFORM_DATA_ANALYSIS as PERFORM_DATA_ANALYSIS
from microcred.demo.esco import RESPECT_CONFIDENTIALITY as RESPECT_CONFIDENTIALITY
from microcred.demo.esco import STATISTICS as STATISTICS
from microcred.demo.esco import USE_SPREADSHEETS as USE_SPREADSHEETS
from microcred.demo.esco import EscoConcept as EscoConcept
from microcred.demo.esco import alignment as alignment
from microcred.demo.ids import COLLEGE_ID as COLLEGE_ID
from microcred.demo.ids import EMPLOYER_ID as EMPLOYER_ID
from microcred.demo.ids import INSTITUTE_ID as INSTITUTE_ID
from microcred.demo.ids import demo_id as demo_id
from microcred.demo.ownership import DEMO_WALLET_KEY as DEMO_WALLET_KEY
from microcred.demo.ownership import SECOND_EMAIL as SECOND_EMAIL
from microcred.demo.ownership import OwnershipDemo as OwnershipDemo
from microcred.demo.ownership import seed_ownership_demo as seed_ownership_demo
from microcred.demo.seed import DemoResult as DemoResult
from microcred.demo.seed import seed_demo as seed_demo
from microcred.demo.transcripts import COMPONENTS as COMPONENTS
