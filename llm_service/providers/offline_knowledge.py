"""What the offline planner knows about each scenario: where it hits hard and what to do.

Plain data so the planner's logic stays small; levels follow broad public US
hazard maps, not a per-address model. What every household stores and packs
(water, food, the needs of particular members) is in llm_service/guidance.py.
"""

from __future__ import annotations

from dataclasses import dataclass

LEVELS = ("LOW", "MODERATE", "HIGH", "SEVERE")


@dataclass(frozen=True)
class Skill:
    name: str
    priority: str  # high | medium | low
    why: str


@dataclass(frozen=True)
class ScenarioProfile:
    severe_states: frozenset[str]
    high_states: frozenset[str]
    moderate_states: frozenset[str]
    default_level: str
    hazard: str  # why it matters; "{place}" is filled in
    prepare: str  # what to do before it happens
    shelter: str  # if the family stays
    evacuate: str  # if the family leaves
    infants: str
    seniors: str
    pets: str
    onset_title: str
    onset: str
    aftermath_title: str
    aftermath: str
    skills: tuple[Skill, ...]
    cuts_power: bool = False
    forces_evacuation: bool = False

    def level_for(self, state: str) -> str:
        if state in self.severe_states:
            return "SEVERE"
        if state in self.high_states:
            return "HIGH"
        if state in self.moderate_states:
            return "MODERATE"
        return self.default_level


def _states(codes: str) -> frozenset[str]:
    return frozenset(codes.split())


_GULF_AND_SOUTH_ATLANTIC = _states("FL LA TX MS AL NC SC GA PR VI")
_WEST_FIRE = _states("CA OR WA CO AZ NM NV ID MT UT")

PROFILES: dict[str, ScenarioProfile] = {
    "HURRICANE": ScenarioProfile(
        severe_states=frozenset(),
        high_states=_GULF_AND_SOUTH_ATLANTIC,
        moderate_states=_states("VA MD DE NJ NY CT RI MA HI"),
        default_level="LOW",
        hazard="Hurricanes bring storm surge, flooding rain and days without power to {place}.",
        prepare="Board or shutter windows, clear the yard and fill every container with water "
        "before landfall.",
        shelter="Shelter in an interior room away from windows and only if you are outside "
        "the storm-surge evacuation zone.",
        evacuate="Leave as soon as an evacuation order covers your zone; traffic and fuel "
        "queues double in the last 24 hours.",
        infants="Pack ready-to-feed formula and diapers for the whole plan; surge shelters "
        "run short of both.",
        seniors="Refill prescriptions before the storm and keep them in a waterproof bag.",
        pets="Bring pets inside early; frightened animals bolt when the wind rises.",
        onset_title="Landfall",
        onset="Wind rises through the afternoon and the power fails before dark.",
        aftermath_title="Without power",
        aftermath="Roads are blocked by trees and standing water; stores and fuel stations "
        "stay closed.",
        skills=(
            Skill("Storm-proofing the home", "high", "shutters and safe rooms save lives"),
            Skill(
                "Generator and carbon-monoxide safety",
                "high",
                "CO poisoning peaks after hurricanes",
            ),
        ),
        cuts_power=True,
        forces_evacuation=True,
    ),
    "EARTHQUAKE": ScenarioProfile(
        severe_states=frozenset(),
        high_states=_states("CA AK WA OR NV UT HI PR"),
        moderate_states=_states("MO TN AR KY SC ID MT WY IL"),
        default_level="LOW",
        hazard="An earthquake near {place} would strike without warning and cut water, gas "
        "and roads at once.",
        prepare="Strap water heaters and tall furniture to studs and learn where your gas "
        "and water shutoffs are.",
        shelter="Drop, cover and hold on; then check for gas leaks before using any flame.",
        evacuate="Leave only if the building is damaged or there is a tsunami warning; walk "
        "rather than drive.",
        infants="Keep shoes, a flashlight and a baby carrier by the crib; broken glass makes "
        "floors dangerous.",
        seniors="Keep glasses, hearing aids and a walker within reach of the bed.",
        pets="Pets hide after shaking; check under furniture before you leave the house.",
        onset_title="The shaking",
        onset="Shaking lasts under a minute; afterwards there is no water, gas or phone signal.",
        aftermath_title="Aftershocks",
        aftermath="Aftershocks keep everyone on edge; water mains are broken and the "
        "neighbourhood cooks outdoors.",
        skills=(
            Skill("Shutting off gas, water and power", "high", "leaks cause fires after quakes"),
            Skill("Light search and rescue", "medium", "help arrives late for the first days"),
        ),
        cuts_power=True,
    ),
    "WILDFIRE": ScenarioProfile(
        severe_states=frozenset(),
        high_states=_WEST_FIRE,
        moderate_states=_states("TX OK WY SD NE KS HI AK FL"),
        default_level="LOW",
        hazard="Wildfire season brings fast-moving fire and days of smoke to {place}.",
        prepare="Clear 30 feet of defensible space around the house and keep go-bags packed "
        "from June.",
        shelter="If smoke is heavy but the fire is far, seal windows and run a HEPA purifier "
        "in one room.",
        evacuate="Leave at the first evacuation warning; fire outruns cars on one-lane roads.",
        infants="Young children cannot wear N95 masks; keep them indoors with filtered air.",
        seniors="Smoke strains heart and lungs; keep rescue inhalers and medications at hand.",
        pets="Keep carriers by the door and pets indoors on smoke days.",
        onset_title="Evacuation warning",
        onset="The sky turns orange and an evacuation warning reaches your phone.",
        aftermath_title="Smoke and waiting",
        aftermath="Air quality is hazardous and you wait for news about your street.",
        skills=(
            Skill(
                "Reading evacuation zones and alerts",
                "high",
                "minutes matter with wind-driven fire",
            ),
            Skill("Protecting indoor air", "medium", "smoke travels hundreds of miles"),
        ),
        forces_evacuation=True,
    ),
    "FLOOD": ScenarioProfile(
        severe_states=frozenset(),
        high_states=_states("LA FL TX MS AL SC NC KY WV MO IA AR PR"),
        moderate_states=frozenset(),
        default_level="MODERATE",
        hazard="Flash floods and rising rivers are the most common disaster around {place}.",
        prepare="Move valuables and documents upstairs and check whether you need flood "
        "insurance (it takes 30 days to start).",
        shelter="Stay on the highest floor and never enter a closed attic without a way out.",
        evacuate="Turn around at flooded roads: six inches of moving water knocks an adult "
        "down, a foot floats a car.",
        infants="Floodwater carries sewage; keep infants out of it and bottles sterile.",
        seniors="Plan who will help with stairs if you need to move to a higher floor fast.",
        pets="Never leave pets tied up or in a crate on a low floor.",
        onset_title="Water rises",
        onset="Heavy rain overwhelms the drains and the roads nearby go under.",
        aftermath_title="Boil-water notice",
        aftermath="Tap water is unsafe and mud covers the lower floors.",
        skills=(
            Skill("Water purification", "high", "floods contaminate tap water"),
            Skill("Safe cleanup of flood damage", "medium", "mould and sewage follow floods"),
        ),
        forces_evacuation=True,
    ),
    "TORNADO": ScenarioProfile(
        severe_states=frozenset(),
        high_states=_states("OK KS TX NE AL MS AR MO IA TN"),
        moderate_states=_states("IL IN KY LA GA SD ND MN OH WI CO NC SC FL"),
        default_level="LOW",
        hazard="Tornadoes give {place} minutes of warning, not hours.",
        prepare="Pick the lowest interior room without windows and keep helmets and shoes there.",
        shelter="At a warning, go to that room at once; a mobile home is never safe.",
        evacuate="Do not try to outrun a tornado by car in traffic; shelter in a sturdy building.",
        infants="Keep a car seat or helmet in the shelter room to protect small heads.",
        seniors="Practise getting to the shelter room; it must take under a minute.",
        pets="Practise bringing pets to the shelter room; there is no time to search.",
        onset_title="The warning",
        onset="Sirens sound and phones buzz with a tornado warning in the evening.",
        aftermath_title="Damage on the street",
        aftermath="Debris, downed lines and broken glass surround the house.",
        skills=(
            Skill("Reading weather warnings", "high", "watch vs warning decides the next minute"),
            Skill("Treating cuts and fractures", "medium", "debris injuries are common"),
        ),
    ),
    "WINTER_STORM": ScenarioProfile(
        severe_states=frozenset(),
        high_states=_states("MN WI MI ND SD ME VT NH NY MA AK MT IA TX"),
        moderate_states=_states("PA OH IN IL CT RI NJ WY ID CO NE KS MO KY WV VA MD DE UT WA OR"),
        default_level="LOW",
        hazard="Ice and heavy snow can isolate {place} and knock out heat for days.",
        prepare="Insulate pipes, keep a safe backup heat source and enough fuel for a week.",
        shelter="Close off unused rooms and gather everyone in one room with blankets.",
        evacuate="Travel only if the heat is gone for good; carry a winter car kit.",
        infants="Infants lose heat fast; dress them in layers and a hat, even indoors.",
        seniors="Cold raises the risk of falls and hypothermia; check on them hourly.",
        pets="Bring pets indoors and keep their water from freezing.",
        onset_title="Snowed in",
        onset="Snow and ice close the roads and lines come down overnight.",
        aftermath_title="Cold house",
        aftermath="The house cools below 50°F and pipes start to freeze.",
        skills=(
            Skill("Safe indoor heating", "high", "space heaters and CO are winter killers"),
            Skill("Recognising hypothermia and frostbite", "high", "early signs are easy to miss"),
        ),
        cuts_power=True,
    ),
    "EXTREME_HEAT": ScenarioProfile(
        severe_states=_states("AZ NV"),
        high_states=_states("TX FL LA CA NM OK MS AL GA SC AR"),
        moderate_states=frozenset(),
        default_level="MODERATE",
        hazard="Heat waves in {place} kill more people than any other weather.",
        prepare="Service the air conditioning, add window shades and find the nearest "
        "cooling centre.",
        shelter="Cool one room, drink before you are thirsty and avoid the stove at midday.",
        evacuate="If power fails in a heat wave, move to a cooling centre or a relative with "
        "power.",
        infants="Infants overheat quickly; never leave them in a car and offer frequent feeds.",
        seniors="Many heat medicines (diuretics, beta blockers) raise heat risk; ask their doctor.",
        pets="Walk pets at dawn and keep extra water in the shade.",
        onset_title="Heat dome",
        onset="Temperatures climb past 105°F and the grid strains in the afternoon.",
        aftermath_title="Rolling blackouts",
        aftermath="Rolling blackouts switch the air conditioning off in the hottest hours.",
        skills=(
            Skill("Recognising heat stroke", "high", "minutes of delay cause organ damage"),
            Skill("Keeping a house cool without power", "medium", "blackouts follow heat"),
        ),
        cuts_power=True,
    ),
    "PANDEMIC": ScenarioProfile(
        severe_states=frozenset(),
        high_states=frozenset(),
        moderate_states=frozenset(),
        default_level="MODERATE",
        hazard="A pandemic in {place} means weeks of isolation, strained hospitals and "
        "empty shelves.",
        prepare="Stock two weeks of food, fever reducers, masks and a thermometer.",
        shelter="Stay home, limit visitors and set up a sick room with its own supplies.",
        evacuate="Moving rarely helps in a pandemic; stay unless care for a relative requires it.",
        infants="Keep infant vaccinations on schedule and a paediatric fever reducer at home.",
        seniors="Older adults face the highest risk; get every vaccine offered and limit contacts.",
        pets="Arrange a backup carer for pets in case the household gets sick.",
        onset_title="Outbreak declared",
        onset="Schools close and health officials ask people to stay home.",
        aftermath_title="Isolation",
        aftermath="Deliveries are slow and one family member develops a fever.",
        skills=(
            Skill("Home care of the sick", "high", "hospitals may turn away mild cases"),
            Skill("Infection control at home", "medium", "keeps illness to one person"),
        ),
    ),
    "POWER_GRID_FAILURE": ScenarioProfile(
        severe_states=frozenset(),
        high_states=_states("TX CA PR"),
        moderate_states=frozenset(),
        default_level="MODERATE",
        hazard="A long grid failure in {place} stops pumps, refrigeration, fuel and payments.",
        prepare="Get a battery power station or generator, flashlights and cash in small bills.",
        shelter="Eat refrigerated food first, then freezer, then pantry.",
        evacuate="If the outage lasts beyond your supplies, move to an area with power "
        "before fuel runs out.",
        infants="Keep formula that needs no refrigeration and a way to warm water safely.",
        seniors="Register power-dependent devices with the utility's medical program.",
        pets="Keep aquarium and heat-lamp pets in mind; they need battery backup.",
        onset_title="Lights out",
        onset="Power fails across the region and phones show no service by evening.",
        aftermath_title="Dark streets",
        aftermath="Traffic lights are out, shops take cash only and fuel pumps do not work.",
        skills=(
            Skill(
                "Backup power planning",
                "high",
                "sizing batteries or a generator for what must keep running",
            ),
            Skill("Food safety without refrigeration", "medium", "spoiled food makes people sick"),
        ),
        cuts_power=True,
    ),
    "CIVIL_UNREST": ScenarioProfile(
        severe_states=frozenset(),
        high_states=frozenset(),
        moderate_states=frozenset(),
        default_level="LOW",
        hazard="Unrest in {place} is usually local and short but can close roads and shops.",
        prepare="Keep a week of supplies so you never need to cross a tense area.",
        shelter="Stay home, away from windows, and keep informed through local news.",
        evacuate="Leave only by routes that avoid downtown and protest areas.",
        infants="Keep enough formula and diapers that you need not shop during unrest.",
        seniors="Confirm pharmacy refills in advance; stores may close with little notice.",
        pets="Keep pets indoors; loud crowds and sirens frighten them.",
        onset_title="Tension downtown",
        onset="Protests spread and authorities announce a curfew.",
        aftermath_title="Curfew",
        aftermath="Shops nearby stay shuttered and public transit stops at dusk.",
        skills=(
            Skill("Situational awareness", "medium", "avoids trouble before it starts"),
            Skill("Home security basics", "low", "deters opportunistic crime"),
        ),
    ),
    "NUCLEAR_EVENT": ScenarioProfile(
        severe_states=frozenset(),
        high_states=frozenset(),
        moderate_states=frozenset(),
        default_level="LOW",
        hazard="A radiological emergency near {place} is unlikely but demands fast, "
        "correct action.",
        prepare="Identify the most central, below-ground room in your home and stock it.",
        shelter="Get inside, stay inside for at least 24 hours, stay tuned to official alerts.",
        evacuate="Evacuate only when officials say so, and only in the direction they give.",
        infants="Ask your paediatrician about potassium iodide dosing for children in advance.",
        seniors="Keep at least a 30-day supply of medications in the shelter room.",
        pets="Bring pets in immediately; wash them if they were outside.",
        onset_title="The alert",
        onset="An emergency alert orders everyone to shelter in place.",
        aftermath_title="Staying in",
        aftermath="You stay in the shelter room while officials measure fallout.",
        skills=(
            Skill("Shelter-in-place for fallout", "high", "the first hours carry the highest dose"),
            Skill(
                "Decontamination", "medium", "removing outer clothing removes most contamination"
            ),
        ),
    ),
    "ECONOMIC_COLLAPSE": ScenarioProfile(
        severe_states=frozenset(),
        high_states=frozenset(),
        moderate_states=frozenset(),
        default_level="MODERATE",
        hazard="A deep economic crisis in {place} means job losses, shortages and rising prices.",
        prepare="Build an emergency fund, pay down debt and keep a rotating pantry.",
        shelter="Cut costs early, share resources with neighbours and grow what you can.",
        evacuate="Relocating costs money; move only toward work or family support.",
        infants="Stock formula and diapers while prices are stable; they rise first.",
        seniors="Keep a three-month supply of medications where insurance allows.",
        pets="Stock pet food in bulk and know a low-cost vet clinic.",
        onset_title="Banks freeze",
        onset="Banks limit withdrawals and shelves thin out as people stock up.",
        aftermath_title="Shortages",
        aftermath="Prices rise weekly and some staples are rationed.",
        skills=(
            Skill("Budgeting and bartering", "medium", "stretches every dollar"),
            Skill("Gardening and food preservation", "low", "cuts food costs over months"),
        ),
    ),
}

GENERAL_SKILLS = (
    Skill("Water purification", "high", "safe water is the first need in every scenario"),
    Skill("First aid and CPR", "high", "emergency services may not reach you for hours"),
    Skill("Family communication plan", "medium", "phones fail when everyone calls at once"),
    Skill("Food storage and rotation", "medium", "a stocked pantry buys time"),
    Skill("Home utility shutoffs", "low", "a closed valve prevents the next disaster"),
)

# Needs that fail when the power does, and ones that spoil without refrigeration.
POWER_DEPENDENT_NEEDS = ("oxygen", "cpap", "bipap", "ventilator", "dialysis", "nebulizer")
REFRIGERATED_NEEDS = ("insulin", "refrigerat", "biologic")
MOBILITY_NEEDS = ("wheelchair", "walker", "mobility", "cane", "bedridden")
