"""Mapping files are checked whole before a row is read: each mistake is one exact message."""

from __future__ import annotations

from pathlib import Path

import pytest

from etl.ingest.mapping import MappingError, load_mapping
from etl.ingest.mapping.spec import Rule, Split

CHECKINS = """
kind = "checkins"
[columns]
checkin_id = "Response ID"
client_id = "Patient"
submitted_at = "When"
"""


def _write(tmp_path: Path, text: str, name: str = "map.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _error(tmp_path: Path, text: str, name: str = "map.toml") -> str:
    path = _write(tmp_path, text, name)
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    return str(caught.value).removeprefix(f"{path}: ")


def test_a_valid_mapping_reads_every_rule(tmp_path) -> None:
    mapping = load_mapping(
        _write(
            tmp_path,
            CHECKINS
            + """
craving = { from = "How strong?", values = { "Not at all" = 0, "Extremely" = 10 } }
sleep_hours = { from = "Slept (min)", unit = "minutes -> hours" }
[constants]
coping = "breathing"
""",
        )
    )
    assert mapping.kind.name == "checkins"
    rules = {r.target: r for r in mapping.rules}
    assert rules["checkin_id"] == Rule(
        "checkin_id", "columns.checkin_id", "response_id", "Response ID"
    )
    assert rules["craving"].values == (("not at all", "0"), ("extremely", "10"))
    assert rules["sleep_hours"].units == ("minutes", "hours")
    assert rules["sleep_hours"].factor == pytest.approx(1 / 60)
    assert rules["coping"].constant == "breathing"
    assert mapping.sources == ("response_id", "patient", "when", "how_strong?", "slept_(min)")


def test_yaml_reads_the_same_as_toml(tmp_path) -> None:
    yaml_text = """
kind: clients
columns:
  client_id: record_id
  first_name: name_first
  last_name: name_last
  sex: {from: sex, values: {"0": female, "1": male}}
constants:
  program_id: P1
  admission_date: 2026-09-01
  checkin_schedule: weekly
split:
  - {from: full name, separator: " ", into: [first_name, last_name]}
"""
    # first_name is mapped twice on purpose, so the YAML path reaches the split check too.
    assert _error(tmp_path, yaml_text, "map.yaml") == (
        "split[0].into: field 'first_name' is already mapped by columns.first_name"
    )
    mapping = load_mapping(_write(tmp_path, yaml_text.split("split:")[0], "map.yml"))
    rules = {r.target: r for r in mapping.rules}
    assert rules["sex"].values == (("0", "female"), ("1", "male"))
    assert rules["admission_date"].constant == "2026-09-01"  # a YAML date, as ISO text


def test_split_rule(tmp_path) -> None:
    mapping = load_mapping(
        _write(
            tmp_path,
            """
kind = "clients"
[columns]
client_id = "id"
[constants]
program_id = "P1"
admission_date = "2026-09-01"
checkin_schedule = "daily"
[[split]]
from = "Full Name"
separator = " "
into = ["first_name", "last_name"]
""",
        )
    )
    assert mapping.splits == (
        Split("full_name", "Full Name", " ", ("first_name", "last_name"), "split[0]"),
    )


ERRORS = [
    ("checkins", 'kind = "checkin"\n', "kind: 'checkin' is not one of programs, staff, clients, "
     "checkins, drug_screens, bam"),
    ("no kind", "[columns]\n", "kind is missing (one of programs, staff, clients, checkins, "
     "drug_screens, bam)"),
    ("top key", CHECKINS + "[colums]\n", None),
    ("unknown target", CHECKINS + 'cravings = "How strong?"\n',
     "columns.cravings: unknown target field 'cravings' for kind checkins"),
    ("value map on a numeric field", CHECKINS
     + 'craving = { from = "c", values = { "Not at all" = "none" } }\n',
     "columns.craving.values: 'Not at all' maps to 'none', but craving 'none' is not a whole "
     "number"),
    ("value map out of range", CHECKINS
     + 'craving = { from = "c", values = { "Extremely" = 11 } }\n',
     "columns.craving.values: 'Extremely' maps to '11', but craving 11 out of range 0-10"),
    ("value map to an unknown code", 'kind = "drug_screens"\n[columns]\nscreen_id = "i"\n'
     'client_id = "c"\ncollected_at = "t"\nsubstance = "s"\n'
     'result = { from = "r", values = { "POS" = "pos" } }\n',
     "columns.result.values: 'POS' maps to 'pos', but result 'pos' is not one of positive, "
     "negative, dilute, invalid, refused"),
    ("missing required target", 'kind = "checkins"\n[columns]\ncheckin_id = "id"\n'
     'client_id = "c"\n', "required field 'submitted_at' of kind checkins is not mapped"),
    ("mapped twice", CHECKINS + '[constants]\nclient_id = "C001"\n',
     "constants.client_id: field 'client_id' is already mapped by columns.client_id"),
    ("bad constant", 'kind = "bam"\n[columns]\nresponse_id = "r"\nclient_id = "c"\n'
     'completed_at = "t"\n[constants]\nrecall_days = 14\n',
     "constants.recall_days: '14', but recall_days '14' is not 30 or 7"),
    ("unit on text", CHECKINS + 'coping = { from = "c", unit = "minutes -> hours" }\n',
     "columns.coping.unit: coping is not a numeric field"),
    ("unknown unit", CHECKINS + 'sleep_hours = { from = "s", unit = "furlongs -> hours" }\n',
     "columns.sleep_hours.unit: 'furlongs -> hours' is not a conversion between seconds, "
     "minutes, hours, days (write it as 'minutes -> hours')"),
    ("date format on a number", CHECKINS + 'mood = { from = "m", date_format = "%Y" }\n',
     "columns.mood.date_format: mood is not a date or timestamp field"),
    ("not a date format", 'kind = "checkins"\n[columns]\ncheckin_id = "i"\nclient_id = "c"\n'
     'submitted_at = { from = "t", date_format = "MM/DD/YYYY" }\n',
     "columns.submitted_at.date_format: 'MM/DD/YYYY' is not a strftime format such as "
     "'%m/%d/%Y'"),
    ("typo in a rule", CHECKINS + 'mood = { form = "m" }\n',
     "columns.mood: unknown key 'form' (expected from, values, unit, date_format)"),
    ("rule without a source", CHECKINS + 'mood = { values = { "a" = 1 } }\n',
     "columns.mood: 'from' (the source column) is missing"),
    ("split into one field", CHECKINS + '[[split]]\nfrom = "x"\ninto = ["mood"]\n',
     "split[0].into: must list at least two contract fields"),
    ("split into an unknown field", CHECKINS + '[[split]]\nfrom = "x"\ninto = ["mood", "joy"]\n',
     "split[0].into: unknown target field 'joy' for kind checkins"),
    ("bad TOML", 'kind = "checkins\n', None),
]  # fmt: skip


@pytest.mark.parametrize(("case", "text", "message"), ERRORS, ids=[e[0] for e in ERRORS])
def test_each_mistake_is_one_clear_error(tmp_path, case, text, message) -> None:
    got = _error(tmp_path, text)
    if case == "top key":
        message = "unknown key 'colums' (expected kind, columns, constants, split)"
    if case == "bad TOML":
        assert got.startswith("is not valid TOML (")
        return
    assert got == message


def test_file_level_errors(tmp_path) -> None:
    assert _error(tmp_path, "kind: bam\n", "map.json") == (
        "a mapping file must end in .toml, .yaml or .yml"
    )
    assert _error(tmp_path, "- a\n- b\n", "map.yaml") == (
        "must be a table with the keys kind, columns, constants, split"
    )
    assert _error(tmp_path, "kind: [\n", "map.yaml").startswith("is not valid YAML (")
    with pytest.raises(MappingError, match=r"no such mapping file$"):
        load_mapping(tmp_path / "absent.toml")


def test_the_examples_in_the_documentation_are_valid(tmp_path) -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "mapping.md").read_text()
    blocks = {"toml": [], "yaml": []}
    for lang in blocks:
        for part in text.split(f"```{lang}\n")[1:]:
            blocks[lang].append(part.split("```")[0])
    assert len(blocks["toml"]) == 1 and len(blocks["yaml"]) == 1
    toml = load_mapping(_write(tmp_path, blocks["toml"][0], "doc.toml"))
    yaml_ = load_mapping(_write(tmp_path, blocks["yaml"][0], "doc.yaml"))
    assert (toml.kind.name, yaml_.kind.name) == ("checkins", "clients")
    assert yaml_.splits[0].into == ("last_name", "first_name")
