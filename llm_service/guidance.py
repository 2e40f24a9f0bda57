"""Public preparedness guidance, as data: what a household stores and packs.

Shared by the offline planner and the real model's prompt so both state the same
quantities. The figures are the usual public preparedness guidance for US
households; where guidance gives a range, the assumption is written next to it.
"""

from __future__ import annotations

import math

# Drinking and sanitation water.
GALLONS_PER_PERSON_PER_DAY = 1
# Assumption: a small pet (a cat or a small dog) drinks about a quart a day; a large
# dog needs up to a gallon, so owners of large dogs should store more.
QUARTS_PER_PET_PER_DAY = 1
QUARTS_PER_GALLON = 4
PET_WATER_RATE = "about a quart per small pet per day"
PET_WATER_CAVEAT = "an assumption: a large dog needs up to a gallon a day, so store more for one"

MEALS_PER_PERSON_PER_DAY = 3
GO_BAG_DAYS = 3  # each go-bag carries at least three days of water and food
# Assumptions for a baby under 2: about 32 oz of formula and 8 diapers a day.
INFANT_FORMULA_OZ_PER_DAY = 32
INFANT_DIAPERS_PER_DAY = 8
# Evacuate far enough to be outside the affected area, not just across town.
EVACUATION_MIN_MILES = 50

GO_BAG_ITEMS = (
    "medications and a list of doses",
    "copies of IDs, insurance and prescriptions in a waterproof pouch",
    "cash in small bills",
    "a change of clothes and sturdy shoes",
    "a flashlight, a radio and phone chargers",
    "a first aid kit",
    "masks",
)
INFANT_FORMULA = "ready-to-feed formula, which needs no safe water to mix"
INFANT_SUPPLIES = (
    "bottles",
    "wipes and diaper cream",
    "infant fever reducer",
    "a car seat or baby carrier",
)
CHILD_SUPPLIES = (
    "a comfort item, books and games",
    "a card in each child's bag with family phone numbers and the meeting place",
    "the school's or daycare's reunification plan",
)
OLDER_ADULT_SUPPLIES = (
    "spare glasses and hearing-aid batteries",
    "mobility aids (cane, walker) by the bed",
    "copies of medical records and a medication list",
    "two people who check on them during an emergency",
)
MEDICAL_SUPPLIES = (
    "written prescriptions and the pharmacy's phone number",
    "a cooler and ice packs for medicines that must stay cold",
)
POWER_DEVICE_ADVICE = (
    "backup batteries or a generator for at least 72 hours, registration with the "
    "utility's medical-priority program, and a shelter or hospital with power in mind"
)
PET_SUPPLIES = (
    "pet food and water",
    "a carrier or crate and a leash",
    "ID tags, vaccination records and a recent photo",
    "litter or waste bags",
    "a pet-friendly place to stay: most public shelters accept only service animals",
)
MEETING_POINTS = (
    "right outside your home, for a sudden emergency such as a fire",
    "outside your neighbourhood (a library, community centre or place of worship), "
    "if you cannot get home",
)

# What makes a FLEXIBLE household leave, by scenario: official orders first.
LEAVE_TRIGGERS: dict[str, str] = {
    "HURRICANE": "an evacuation order for your zone, or a forecast of storm surge where you live",
    "EARTHQUAKE": "structural damage to your home, a gas leak, or a tsunami warning",
    "WILDFIRE": "an evacuation warning for your area: do not wait for the order",
    "FLOOD": "an evacuation order, or water rising toward your street",
    "TORNADO": "a home made unsafe by damage (during the warning, shelter, never drive)",
    "WINTER_STORM": "no heat for 24 hours with the indoor temperature falling below 55°F",
    "EXTREME_HEAT": "no power or cooling during the heat of the day",
    "PANDEMIC": "a household member who needs care you cannot give at home",
    "POWER_GRID_FAILURE": "three days without power, or supplies running low",
    "CIVIL_UNREST": "unrest reaching your street, or an official order to leave",
    "NUCLEAR_EVENT": "an official order to evacuate, in the direction officials give",
    "ECONOMIC_COLLAPSE": "running out of money for rent or food, with family support elsewhere",
}
# For scenarios with no forced evacuation: the first trigger above is usually met here.
DAYS_WITHOUT_POWER_TRIGGER = 3


def water_gallons(people: int, pets: int, days: int) -> int:
    """One gallon per person per day, plus a quart per pet per day, rounded up."""
    pet_quarts = pets * QUARTS_PER_PET_PER_DAY * days
    return people * GALLONS_PER_PERSON_PER_DAY * days + math.ceil(pet_quarts / QUARTS_PER_GALLON)


def meals(people: int, days: int) -> int:
    return people * MEALS_PER_PERSON_PER_DAY * days
