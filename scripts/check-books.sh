#!/usr/bin/env bash
# Opens every record book of the demo county in LibreOffice: builds the county, writes each
# book with `lianxin book`, converts every sheet to CSV with soffice, and checks that the
# sheet has the lines lianxin wrote (title, particulars, headers, every row) and its headers.
#   scripts/check-books.sh [small|county]
# Needs: sqlite3, python3, LibreOffice Calc
#   (apt-get update && apt-get install -y sqlite3 python3 libreoffice-calc-nogui)
set -euo pipefail
cd "$(dirname "$0")/.."
size="${1:-county}"
for tool in sqlite3 python3 soffice; do
  command -v "$tool" >/dev/null || { echo "缺少 $tool：apt-get install -y sqlite3 python3 libreoffice-calc-nogui"; exit 2; }
done
cargo build --release --quiet
bin="$PWD/target/release/lianxin"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export LIANXIN_DATABASE_URL="sqlite://$work/demo.db" LIANXIN_LOG=warn
cd "$work"
"$bin" demo --size "$size" --today 2026-11-20 --no-serve > demo.txt

q() { sqlite3 "$work/demo.db" "$1"; }
cadre=$(q "select person_id from link where kind='household_link' and person_id is not null group by person_id order by count(*) desc limit 1")
household=$(q "select household_code from ledger_item order by id limit 1")
village=$(q "select r.code from region r join household h on h.region_code like r.code || '%' where r.level='village' group by r.code order by count(*) desc limit 1")
unit=$(q "select p.unit_code from link l join person p on p.id = l.person_id where l.kind='household_link' group by p.unit_code order by count(*) desc limit 1")

check() { # name, kind, code, expected header of the first sheet
  local name="$1" kind="$2" code="$3" header="$4"
  "$bin" book "$kind" $code --year 2026 -o "$name.xlsx" > "$name.txt"
  mkdir -p "$name"
  # Every sheet to its own CSV (UTF-8, comma, quote all text; sheet -1 = all).
  soffice --headless --convert-to 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1' \
    --outdir "$name" "$name.xlsx" > /dev/null 2>&1
  python3 - "$name" "$header" <<'PY'
import csv, glob, re, sys
name, header = sys.argv[1], sys.argv[2]
wrote = [l for l in open(f"{name}.txt", encoding="utf-8") if "连标题共" in l]
sheets = sorted(glob.glob(f"{name}/*.csv"))
if len(sheets) != len(wrote):
    sys.exit(f"{name}: LibreOffice gave {len(sheets)} sheets, lianxin wrote {len(wrote)}")
for line in wrote:
    sheet, rows, lines = re.match(r"(.+?)：(\d+)行（连标题共(\d+)行）", line.strip()).groups()
    path = [p for p in sheets if p.endswith(f"-{sheet}.csv")]
    if not path:
        sys.exit(f"{name}: no CSV for sheet {sheet}: {sheets}")
    records = list(csv.reader(open(path[0], encoding="utf-8")))
    if len(records) != int(lines):
        sys.exit(f"{name}/{sheet}: LibreOffice read {len(records)} lines, lianxin wrote {lines}")
    print(f"ok  {name}/{sheet}: {rows} rows ({lines} lines) read back by LibreOffice")
first_sheet = re.match(r"(.+?)：", wrote[0]).group(1)
first = list(csv.reader(open([p for p in sheets if p.endswith(f"-{first_sheet}.csv")][0], encoding="utf-8")))
if not any(header in r for r in first[:6]):
    sys.exit(f"{name}: header {header} not found in {first[:4]}")
PY
}

check record-book record "$cadre" "群众反映的问题"
check household-page household "$household" "家庭基本情况"
check village-book village "$village" "联户干部"
check unit-ledger ledger "$unit" "今年走访"
check county-ledger ledger county "今年走访"
check volunteer volunteer "" "服务时长(小时)"
echo "all books open in LibreOffice with the rows lianxin wrote"
