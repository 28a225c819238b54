"""The built-in Fair Housing advertising rules, from 24 CFR 100.75 and HUD's 1995 memorandum
on advertising ("Guidance Regarding Advertisements Under §804(c) of the Fair Housing Act").

Only phrases that state a preference, limitation or discrimination are listed. What the
guidance calls acceptable is never written here, so it is never flagged: descriptions of the
property ("master bedroom", "family room", "walk-in closets", "mother-in-law suite",
"bachelor apartment"), of its services or neighborhood ("walking distance", "jogging trails",
"kosher meals available", "chapel", "near the church"), of accessibility features ("wheelchair
ramp"), of required conduct ("non-smoking", "sober"), and housing for older persons described
as such ("55+ community"). Bare words ("family", "Christian", "white", "walk") are never a rule:
only phrases that speak of who may live there.

Phrase syntax (see ``FairHousingRule.phrase``): words match plurals and -ed/-ing forms and may
be joined by spaces or hyphens; ``a/b`` is either word, ``word?`` an optional word and ``!word``
means "not followed by that word".
"""

from compliance.models.fair_housing import ProtectedClass

DESCRIBE_HOME = "Describe the home and its features, not who should live there."

FAMILIAL = (
    ProtectedClass.FAMILIAL_STATUS,
    "States a preference for, or a limit on, households with children (familial status).",
)
RACE = (
    ProtectedClass.RACE,
    "Describes the residents, buyers or neighborhood by race.",
)
COLOR = (
    ProtectedClass.COLOR,
    "Describes the residents, buyers or neighborhood by skin color.",
)
RELIGION = (
    ProtectedClass.RELIGION,
    "States a religious preference or describes the residents or neighborhood by religion.",
)
SEX = (
    ProtectedClass.SEX,
    "States a preference for, or a limit on, residents of one sex.",
)
HANDICAP = (
    ProtectedClass.HANDICAP,
    "States a preference against, or a limit on, people with disabilities.",
)
ORIGIN = (
    ProtectedClass.NATIONAL_ORIGIN,
    "States a preference about national origin, ancestry, language or citizenship.",
)

# (phrase, (class, reason), suggested rewrite)
BUILTIN_RULES = [
    # Familial status
    (
        "adult only",
        FAMILIAL,
        "Remove it; if this is qualifying housing for older persons, say '55+ community'.",
    ),
    ("adult building/complex", FAMILIAL, "Describe the building: 'quiet building', 'no elevator'."),
    ("adult preferred", FAMILIAL, DESCRIBE_HOME),
    ("no children", FAMILIAL, "Remove it. Describe the home instead: 'cozy two-bedroom'."),
    ("no child/kid/minors", FAMILIAL, "Remove it. Describe the home instead."),
    ("no teen/teenager", FAMILIAL, "Remove it. Describe the home instead."),
    ("no infant/baby/babies/toddler", FAMILIAL, "Remove it. Describe the home instead."),
    ("no families", FAMILIAL, "Remove it. Describe the home instead."),
    ("no pregnant", FAMILIAL, "Remove it. Describe the home instead."),
    ("children/kid not allowed/permitted", FAMILIAL, "Remove it."),
    ("children/kid are? not welcome", FAMILIAL, "Remove it."),
    (
        "not suitable/ideal/appropriate/safe for children/kid",
        FAMILIAL,
        "Describe the feature that concerns you (e.g. 'pool without a fence').",
    ),
    ("one child only", FAMILIAL, "State the occupancy limit of the home (e.g. 'two per bedroom')."),
    (
        "no more than one/two/three child/children/kid",
        FAMILIAL,
        "State the occupancy limit of the home (e.g. 'two per bedroom').",
    ),
    ("child free", FAMILIAL, "Remove it; describe the home: 'quiet street'."),
    ("childfree", FAMILIAL, "Remove it; describe the home: 'quiet street'."),
    (
        "perfect/ideal/great/suited/suitable for a? couple !of",
        FAMILIAL,
        "Describe the space: 'cozy one-bedroom', 'ideal first home'.",
    ),
    ("couple only", FAMILIAL, "Remove it. Describe the home instead."),
    ("married couple preferred", FAMILIAL, "Remove it. Describe the home instead."),
    (
        "perfect/ideal/great/suited/suitable for single !family/level/story",
        FAMILIAL,
        "Describe the space: 'cozy studio', 'low-maintenance home'.",
    ),
    ("singles only", FAMILIAL, "Remove it. Describe the home instead."),
    ("single person/professional", FAMILIAL, "Describe the space: 'cozy studio'."),
    ("empty nester", FAMILIAL, "Describe the home: 'low-maintenance', 'single-level'."),
    (
        "mature couple/adult/person/individual/tenant/buyer",
        FAMILIAL,
        "Describe the home: 'quiet street', 'low-maintenance'.",
    ),
    (
        "perfect/ideal/great for retiree",
        FAMILIAL,
        "Describe the home: 'single-level living', 'low-maintenance'.",
    ),
    (
        "senior only",
        FAMILIAL,
        "If this is qualifying housing for older persons, say '55+ community'; "
        "otherwise remove it.",
    ),
    ("no playpen/stroller", FAMILIAL, "Remove it."),
    # Race
    ("white only", RACE, "Remove it."),
    ("no blacks/whites/minority/minorities", RACE, "Remove it."),
    (
        "white/black/caucasian/african_american neighborhood",
        RACE,
        "Describe the neighborhood's features: 'tree-lined streets', 'near the park'.",
    ),
    ("white/black/caucasian/african_american family/families", RACE, DESCRIBE_HOME),
    ("white/black/caucasian/african_american preferred/only", RACE, "Remove it."),
    ("caucasian", RACE, "Remove it."),
    (
        "predominantly white/black/caucasian/hispanic/asian/latino "
        "neighborhood/area/community/resident",
        RACE,
        "Describe the neighborhood's features, not its residents.",
    ),
    ("racially restricted", RACE, "Remove it."),
    (
        "integrated neighborhood/community",
        RACE,
        "Describe the neighborhood's features, not its residents.",
    ),
    (
        "segregated neighborhood/community",
        RACE,
        "Describe the neighborhood's features, not its residents.",
    ),
    # Color
    ("light skinned", COLOR, "Remove it."),
    ("dark skinned", COLOR, "Remove it."),
    ("fair skinned", COLOR, "Remove it."),
    ("colored people/person/folk/family/families", COLOR, "Remove it."),
    ("no people/persons of color", COLOR, "Remove it."),
    # Religion
    (
        "christian home/family/families/household/neighborhood/couple/tenant/buyer/environment",
        RELIGION,
        "Describe the home: 'warm and welcoming home'.",
    ),
    ("christian only", RELIGION, "Remove it."),
    ("christian preferred", RELIGION, "Remove it."),
    (
        "jewish home/family/families/household/neighborhood/couple/tenant/buyer",
        RELIGION,
        "Describe the home; a nearby place may be named ('near the synagogue').",
    ),
    ("jewish only/preferred", RELIGION, "Remove it."),
    (
        "muslim home/family/families/household/neighborhood/couple/tenant/buyer",
        RELIGION,
        "Describe the home; a nearby place may be named ('near the mosque').",
    ),
    ("muslim only/preferred", RELIGION, "Remove it."),
    (
        "catholic home/family/families/household/neighborhood/couple/tenant/buyer",
        RELIGION,
        "Describe the home; a nearby place may be named ('near St. Mary's').",
    ),
    ("catholic only/preferred", RELIGION, "Remove it."),
    (
        "protestant/mormon/hindu/buddhist/sikh home/family/families/household/neighborhood",
        RELIGION,
        "Describe the home; a nearby place may be named.",
    ),
    ("protestant/mormon/hindu/buddhist/sikh only/preferred", RELIGION, "Remove it."),
    ("no jew/muslim/christian/catholic/mormon/hindu/atheist", RELIGION, "Remove it."),
    ("church going", RELIGION, "Remove it."),
    ("churchgoer/churchgoers/churchgoing", RELIGION, "Remove it."),
    ("god fearing", RELIGION, "Remove it."),
    # Sex
    (
        "female/male/women/men/woman/man/ladies/lady/gentlemen/gentleman/girls/boys only",
        SEX,
        "Remove it.",
    ),
    ("female/male/women/men/woman/man/ladies/lady preferred", SEX, "Remove it."),
    ("no men/women/male/female", SEX, "Remove it."),
    ("single woman/women/man/men/female/male/lady/ladies/mother/father", SEX, DESCRIBE_HOME),
    (
        "perfect/ideal/great/suited/suitable for a? bachelor/bachelorette",
        SEX,
        "Describe the space: 'cozy studio'. ('Bachelor apartment' as a kind of unit is fine.)",
    ),
    ("female/male tenant/renter/occupant/buyer", SEX, "Remove it."),
    # Handicap (disability)
    ("no wheelchair", HANDICAP, "Describe the access: 'three steps to the entry', 'no elevator'."),
    (
        "wheelchair/wheelchairs not allowed/permitted",
        HANDICAP,
        "Describe the access: 'three steps to the entry', 'no elevator'.",
    ),
    (
        "no handicap/handicapped/disabled/disability/disabilities",
        HANDICAP,
        "Describe the access instead: 'second floor, no elevator'.",
    ),
    (
        "not suitable/appropriate/ideal/safe for the? handicap/handicapped/disabled/wheelchair",
        HANDICAP,
        "Describe the access instead: 'second floor, no elevator'.",
    ),
    ("able bodied", HANDICAP, "Describe the access instead: 'three flights of stairs'."),
    ("must be able to climb/walk", HANDICAP, "Describe the access instead: 'third-floor walk-up'."),
    ("physically fit/able", HANDICAP, "Describe the access instead: 'third-floor walk-up'."),
    ("must be ambulatory", HANDICAP, "Remove it."),
    ("ambulatory only", HANDICAP, "Remove it."),
    ("must be in good health", HANDICAP, "Remove it."),
    ("able to live independently", HANDICAP, "Remove it."),
    ("must live independently", HANDICAP, "Remove it."),
    ("mentally ill/disabled/handicapped/impaired/retarded/unstable", HANDICAP, "Remove it."),
    ("no blind/deaf person/people/tenant/resident/renter/buyer", HANDICAP, "Remove it."),
    ("crippled", HANDICAP, "Remove it."),
    (
        "no emotional? service/assistance/support/companion animal/dog",
        HANDICAP,
        "Say 'no pets'; assistance animals are not pets and must be allowed.",
    ),
    ("no alcoholics", HANDICAP, "Describe required conduct instead ('sober living')."),
    ("recovering alcoholic/addict", HANDICAP, "Describe required conduct instead."),
    ("no hiv", HANDICAP, "Remove it."),
    # National origin
    ("english only", ORIGIN, "Remove it."),
    (
        "english speaking tenant/renter/buyer/applicant/household/resident/only",
        ORIGIN,
        "Remove it.",
    ),
    ("must speak english", ORIGIN, "Remove it."),
    ("no foreigner/immigrant/alien", ORIGIN, "Remove it."),
    (
        "american/citizen only",
        ORIGIN,
        "Remove it; lawful screening criteria belong in the application, not the ad.",
    ),
    ("no irish/mexican/hispanic/latino/asian/arab", ORIGIN, "Remove it."),
    (
        "hispanic/latino/mexican/chinese/asian/italian/irish/polish/korean/arab/ethnic "
        "neighborhood/preferred/only",
        ORIGIN,
        "Describe the neighborhood's features, not its residents.",
    ),
]
