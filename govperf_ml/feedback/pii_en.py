"""English names and postal addresses: capitalised names in a person's context, US-style
street addresses (number, street name, a USPS street suffix, apartment, city, state, ZIP).
"""

from __future__ import annotations

import re

_WORD = r"[A-Z][a-z]+(?:['’-][A-Za-z][a-z]+)?"
_PREFIX = r"(?:(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?\s+)"
_SUFFIX = r"(?:,?\s+(?:Jr\.?|Sr\.?|II|III|IV|V|MD|DDS|PhD|DVM)\b)"
_NAME = rf"{_PREFIX}?{_WORD}(?:\s+[A-Z]\.)?(?:\s+{_WORD}){{0,2}}{_SUFFIX}?"
_NOT_NAMES = {"The", "This", "That", "These", "Those", "Our", "My", "Your", "Their", "His", "Her", "A", "An", "We",
              "They", "It", "There", "Here", "When", "Why", "What", "How", "Please", "Thank", "Thanks", "Dear",
              "City", "District", "Street", "Road", "School", "Hospital", "Bureau", "Office", "Department",
              "Government", "Police", "Mayor", "Committee", "Centre", "Center", "Hotline", "Some", "All", "Every",
              "No", "Not", "Yes", "If", "But", "And", "Or", "So", "Also", "After", "Before", "Since", "In", "On",
              "At", "For", "From", "With", "Last", "Next", "Now", "Today", "Yesterday", "Monday", "Tuesday",
              "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January", "February", "March", "April",
              "May", "June", "July", "August", "September", "October", "November", "December", "Chinese",
              "English", "Spring", "Festival", "National", "Day", "New", "Year", "Very", "Still", "Just", "Only",
              "Again", "Once", "Twice", "Sorry", "Hello", "Hi", "Good", "Bad", "Is", "Are", "Was", "Were"}
_LEAD = re.compile(rf"(?i:\b(?:my name is|my name's|i am|i'm|this is|name\s*:|contact(?:\s+person)?\s*:?|"
                   rf"regards,|signed,?|sincerely,?|ask for|neighbou?r|husband|wife|son|daughter|"
                   rf"mother|father|friend|colleague|landlord|tenant|resident)\s+)(?P<name>{_NAME})")
_BEFORE_VERB = re.compile(rf"(?<![A-Za-z])(?P<name>{_PREFIX}?{_WORD}(?:\s+[A-Z]\.)?(?:\s+{_WORD}){{1,2}}{_SUFFIX}?)"
                          r"(?=\s+(?:reported|complained|said|says|called|wrote|saw|told|asked|filed|lives|"
                          r"has|had|was|is|and I|and his|and her)\b)")
_HONORIFIC = re.compile(rf"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?\s+{_WORD}(?:\s+{_WORD})?{_SUFFIX}?")

# USPS street suffixes (full and standard abbreviations)
_STREET_SUFFIXES = (
    "Alley Aly Annex Arcade Avenue Ave Bayou Beach Bend Bluff Bluffs Bottom Boulevard Blvd Branch Bridge Brook "
    "Brooks Burg Burgs Bypass Camp Canyon Cape Causeway Center Centers Circle Cir Circles Cliff Cliffs Club "
    "Common Commons Corner Corners Course Court Ct Courts Cove Coves Creek Crescent Crest Crossing Crossroad "
    "Curve Dale Dam Divide Drive Dr Drives Estate Estates Expressway Extension Extensions Fall Falls Ferry "
    "Field Fields Flat Flats Ford Fords Forest Forge Forges Fork Forks Fort Freeway Garden Gardens Gateway "
    "Glen Glens Green Greens Grove Groves Harbor Harbors Haven Heights Highway Hwy Hill Hills Hollow Inlet "
    "Island Islands Isle Junction Junctions Key Keys Knoll Knolls Lake Lakes Land Landing Lane Ln Light "
    "Lights Loaf Lock Locks Lodge Loop Mall Manor Manors Meadow Meadows Mews Mill Mills Mission Motorway "
    "Mount Mountain Mountains Neck Orchard Oval Overpass Park Parks Parkway Pkwy Parkways Pass Passage Path "
    "Pike Pine Pines Place Pl Plain Plains Plaza Point Points Port Ports Prairie Radial Ramp Ranch Rapid "
    "Rapids Rest Ridge Ridges River Road Rd Roads Route Row Rue Run Shoal Shoals Shore Shores Skyway Spring "
    "Springs Spur Spurs Square Sq Squares Station Stravenue Stream Street St Streets Summit Terrace Ter "
    "Throughway Trace Track Trafficway Trail Trl Trailer Tunnel Turnpike Underpass Union Unions Valley Valleys "
    "Via Viaduct View Views Village Villages Ville Vista Walk Walks Wall Way Ways Well Wells"
).split()
_STREET_SUFFIX_SET = set(_STREET_SUFFIXES) | {"Hall", "Bridge", "Hospital", "School", "University", "Park", "Lake"}
_STREET = (rf"\b\d{{1,6}}\s+(?:[NSEW]\.?\s+)?(?:{_WORD}\s+){{1,3}}(?:{'|'.join(sorted(_STREET_SUFFIXES, key=len, reverse=True))})\b\.?"
           r"(?:\s+(?:Apt\.?|Suite|Unit|Ste\.?|#)\s*\d+[A-Z]?)?")
_CITY_ZIP = rf"(?:,?\s+(?:{_WORD}\s+){{0,2}}{_WORD},\s*[A-Z]{{2}}\s+\d{{5}}(?:-\d{{4}})?)"
_ADDRESS = re.compile(rf"{_STREET}{_CITY_ZIP}?")
_MILITARY = re.compile(r"\b(?:(?:USNS|USNV|USS|USCGC)\s+[A-Z][a-z]+|PSC\s+\d{4},?\s+Box\s+\d{4}|Unit\s+\d{4}\s+Box\s+\d{4})"
                       r",?\s+[AFD]PO\s+A[AEP]\s+\d{5}\b")
_CITY_STATE_ZIP = re.compile(rf"\b(?:{_WORD}\s+){{0,2}}{_WORD},\s*[A-Z]{{2}}\s+\d{{5}}(?:-\d{{4}})?\b")


def names(text: str) -> list[tuple[int, int]]:
    """Spans of English personal names."""
    found = []
    for pattern in (_LEAD, _BEFORE_VERB):
        for m in pattern.finditer(text):
            words = m.group("name").split()
            # before a verb, "Binjiang Avenue was" is a place; after "I am", Brian Green is a person
            place = pattern is _BEFORE_VERB and words[-1].rstrip(".") in _STREET_SUFFIX_SET
            if words[0].rstrip(".") not in _NOT_NAMES and not place:
                found.append((m.start("name"), m.end("name")))
    found += [(m.start(), m.end()) for m in _HONORIFIC.finditer(text)]
    return found


def addresses(text: str) -> list[tuple[int, int]]:
    """Spans of postal addresses."""
    return [(m.start(), m.end()) for p in (_ADDRESS, _MILITARY, _CITY_STATE_ZIP) for m in p.finditer(text)]
