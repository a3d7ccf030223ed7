"""Vocabularies for the free-text and list fields of a check-in.

Strings are built once per run into small pools and picked by index from numpy, so millions of
check-ins cost no per-row string work beyond a lookup. Notes are short first-person remarks
that fit the day (a stressful day reads like one), sometimes followed by a Faker sentence;
they never contain names.
"""

from __future__ import annotations

import numpy as np
from faker import Faker

TRIGGER_NAMES = ["people", "places", "music", "routines", "emotions", "other"]

COPING = [
    "called sponsor",
    "went to a meeting",
    "exercise",
    "walked",
    "meditation",
    "breathing exercises",
    "journaling",
    "prayer",
    "played music",
    "talked to family",
    "urge surfing",
    "cooked a meal",
    "read",
    "called counselor",
    "took a shower",
    "left the situation",
    "played video games",
    "went to the gym",
]

NOTES = {
    "calm": [
        "Pretty good day overall.",
        "Quiet day, stayed home.",
        "Went to work and came home.",
        "Feeling steady today.",
        "Made it to group.",
        "Nothing much to report.",
        "Spent time with my kids.",
        "Good talk with my sponsor.",
    ],
    "stress": [
        "Rough day at work.",
        "Money is tight this month.",
        "Court date coming up.",
        "Argument with my partner.",
        "Landlord problems again.",
        "Too much on my plate.",
        "Stressed about the job interview.",
        "Car broke down.",
    ],
    "mood": [
        "Feeling flat.",
        "Could not get out of bed.",
        "Everything feels pointless today.",
        "Irritable all day.",
        "Missing the old me.",
        "Lonely tonight.",
    ],
    "sleep": [
        "Barely slept.",
        "Up all night.",
        "Kept waking up.",
        "Exhausted.",
        "Slept badly again.",
    ],
    "cues": [
        "Ran into old friends.",
        "Drove past the old spot.",
        "Payday today.",
        "Party this weekend.",
        "Heard that song again.",
        "Old number texted me.",
    ],
    "used": [
        "I slipped.",
        "Used last night, not proud of it.",
        "Had a setback.",
        "Want to talk about what happened.",
    ],
}
NOTE_CATEGORIES = list(NOTES)


def csv_field(text: str) -> str:
    """Quote a value the way the csv module does with QUOTE_MINIMAL."""
    if any(ch in text for ch in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def trigger_strings() -> np.ndarray:
    """The ``;`` list for each of the 64 bit sets of trigger categories."""
    out = []
    for mask in range(1 << len(TRIGGER_NAMES)):
        out.append(";".join(n for b, n in enumerate(TRIGGER_NAMES) if mask >> b & 1))
    return np.array(out, dtype=object)


def coping_pool(rng: np.random.Generator, size: int = 256) -> np.ndarray:
    """Lists of one to three coping strategies, as clients type them."""
    out = []
    for _ in range(size):
        k = int(rng.integers(1, 4))
        items = rng.choice(len(COPING), size=k, replace=False)
        out.append(";".join(COPING[i] for i in items))
    return np.array(out, dtype=object)


def note_pools(fake: Faker, rng: np.random.Generator, size: int = 256) -> list[np.ndarray]:
    """For each note category, a pool of CSV-ready notes (some with a Faker sentence)."""
    pools = []
    for category in NOTE_CATEGORIES:
        phrases = NOTES[category]
        notes = []
        for j in range(size):
            text = phrases[j % len(phrases)]
            if rng.random() < 0.25:
                text = f"{text} {fake.sentence(nb_words=8)}"
            notes.append(csv_field(text))
        pools.append(np.array(notes, dtype=object))
    return pools
