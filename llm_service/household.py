"""Which catalog bundles a household needs: the one rule for the prompt and the offline planner.

The catalog tags bundles by scenario and budget tier only, so a bundle made for
one kind of household member is recognised by the words of its id and name
("infant-care-kit", "Senior Care & Medication Kit", "Pet Emergency Kit"). A
bundle for nobody in particular (water, food, a go-bag) suits every household.
"""

from __future__ import annotations

import re
from enum import Enum

from llm_service.plan_request import Bundle, PlanRequest


class MemberNeed(Enum):
    INFANT = "infant"  # a member under 2
    CARE_OR_MEDICATION = "care_or_medication"  # a member 65 or older, or with a medical need
    PET = "pet"
    VEHICLE = "vehicle"


_NEED_WORDS: dict[MemberNeed, frozenset[str]] = {
    MemberNeed.INFANT: frozenset({"infant", "infants", "baby", "babies", "newborn", "diaper"}),
    MemberNeed.CARE_OR_MEDICATION: frozenset(
        {"senior", "seniors", "elder", "elderly", "medication", "medications", "medicine"}
    ),
    MemberNeed.PET: frozenset({"pet", "pets", "dog", "dogs", "cat", "cats"}),
    MemberNeed.VEHICLE: frozenset({"vehicle", "car", "auto"}),
}
_WORD = re.compile(r"[a-z]+")


def needs_served_by(bundle: Bundle) -> frozenset[MemberNeed]:
    """The member needs a bundle is made for; empty for a bundle any household can use."""
    words = set(_WORD.findall(f"{bundle.id} {bundle.name}".lower()))
    return frozenset(need for need, markers in _NEED_WORDS.items() if words & markers)


def household_needs(request: PlanRequest) -> frozenset[MemberNeed]:
    needs = set()
    if request.infants:
        needs.add(MemberNeed.INFANT)
    if request.seniors or request.with_medical_needs:
        needs.add(MemberNeed.CARE_OR_MEDICATION)
    if request.pet_count:
        needs.add(MemberNeed.PET)
    if request.has_vehicle:
        needs.add(MemberNeed.VEHICLE)
    return frozenset(needs)


def is_needed_by(request: PlanRequest, bundle: Bundle) -> bool:
    """No infant kit without an infant, no senior or medication kit without an older
    adult or a medical need, no pet kit without pets, no car kit without a car."""
    return needs_served_by(bundle) <= household_needs(request)
