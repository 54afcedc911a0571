#!/usr/bin/env bash
# Parses an iCalendar file with an independent parser (Python's icalendar, from PyPI into a
# virtual environment under target/, once) and prints one line per event:
#   UID<TAB>SEQUENCE<TAB>STATUS<TAB>DTSTART (ISO, with its zone)
# It fails when the file does not parse, or an event lacks a UID or a zoned DTSTART.
#
#   bash scripts/check-ics.sh calendar.ics
set -euo pipefail
cd "$(dirname "$0")/.."
FILE="$(realpath "$1")"
VENV="$(realpath -m "${LIANXIN_ICS_VENV:-target/ics-venv}")"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import icalendar" 2>/dev/null; then
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install -q "icalendar==6.3.1" >&2
fi
"$VENV/bin/python" - "$FILE" <<'PY'
import sys
from icalendar import Calendar
with open(sys.argv[1], "rb") as f:
    cal = Calendar.from_ical(f.read())
n = 0
for ev in cal.walk("VEVENT"):
    uid = str(ev["UID"])
    start = ev.decoded("DTSTART")
    if getattr(start, "tzinfo", None) is None:
        sys.exit(f"{uid}: DTSTART has no time zone")
    print(f"{uid}\t{int(ev.get('SEQUENCE', 0))}\t{ev.get('STATUS', '')}\t{start.isoformat()}")
    n += 1
if n == 0:
    sys.exit("no events")
PY
