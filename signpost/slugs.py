"""The closed vocabularies of the product brief (§2) that the database enforces.

Modalities and needs live in their own tables (with descriptions, from seed_data/);
these short lists are CHECK constraints. A test keeps them equal to
seed_data/vocabularies.yaml.
"""

from __future__ import annotations

SECTORS = ("nhs", "charity", "low-cost")
DELIVERY = ("in-person", "video", "phone", "online")
FORMATS = ("individual", "group", "couple", "family")
REFERRAL_ROUTES = ("self-referral", "gp-referral", "professional-referral", "school-referral")
CAPACITY = ("accepting", "waitlist", "closed")
COST_TYPES = ("free", "donation", "sliding-scale", "fixed")
SEVERITIES = ("less-severe", "more-severe", "unsure")
SERVICE_STATUSES = ("active", "inactive", "defunct", "temporarily closed")
MODERATION_STATES = ("pending", "approved", "rejected")
CATCHMENT_KINDS = ("national", "postcode-area", "postcode-district", "radius")
# UK nations: a "national" catchment row may name one (empty value: the whole UK).
NATIONS = ("england", "wales", "scotland", "northern-ireland")
