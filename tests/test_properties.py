"""Property-based tests: whatever a phone or a spreadsheet sends, the answer is defined."""

import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pwa_app.api.sync import parse_item
from pwa_app.services import imports
from pwa_app.services.errors import ValidationError

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
field_names = st.sampled_from(
    [
        "client_uuid",
        "household",
        "visited_at",
        "kind",
        "wellbeing",
        "needs",
        "notes",
        "location",
        "assistance",
    ]
)
items = st.one_of(
    json_values,
    st.dictionaries(field_names, json_values, max_size=9),
    st.fixed_dictionaries(
        {
            "client_uuid": st.uuids().map(str) | st.text(max_size=40),
            "household": st.text(max_size=30),
            "visited_at": st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat())
            | st.text(max_size=30),
            "kind": st.sampled_from(["routine", "urgent", "nonsense", ""]),
            "wellbeing": st.sampled_from(["green", "red", "blue"]),
            "assistance": st.lists(
                st.dictionaries(
                    st.sampled_from(["program", "case_id", "status", "note"]),
                    json_values,
                    max_size=4,
                ),
                max_size=3,
            ),
        }
    ),
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(item=items)
def test_the_sync_parser_accepts_or_names_the_bad_fields(app, item):
    """Any JSON value is either a visit input or a ValidationError naming fields; never a crash."""
    with app.test_request_context("/"):
        try:
            data, positions = parse_item(item)
        except ValidationError as error:
            assert error.fields
            assert all(isinstance(name, str) for name in error.fields)
        else:
            assert uuid.UUID(data.client_uuid)
            assert isinstance(positions, dict)


csv_cells = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.lists(csv_cells, min_size=0, max_size=10), max_size=6),
    header=st.booleans(),
    garbage=st.binary(max_size=40),
)
def test_the_csv_reader_reads_or_refuses_with_a_message(app, rows, header, garbage):
    """Any upload is rows to check, or a ValidationError with a message; never a crash."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if header:
        writer.writerow(imports.HEADER)
    writer.writerows(rows)
    for raw in (buffer.getvalue().encode("utf-8"), garbage):
        with app.test_request_context("/"):
            try:
                parsed = imports.read_rows(raw)
            except ValidationError as error:
                assert str(error.message)
            else:
                assert all(isinstance(line, int) and isinstance(row, dict) for line, row in parsed)
