"""Make timebank/places/data/postcodes.csv from OS Code-Point Open: every postcode of the districts
the exchange covers (timebank.places.DISTRICTS), with its latitude and longitude.

    python scripts/knowsley_postcodes.py codepo_gb.zip        # the OS download (or its unzipped folder)

Needs pyproj (`pip install pyproj`; only this script uses it). Code-Point Open gives each
postcode's point in British National Grid eastings and northings (EPSG:27700); pyproj's default
transformation to WGS84 (EPSG:4326) is a Helmert transformation, good to a few metres without
OS's OSTN15 grid, which is far finer than a postcode's own spread (about 100 m). Points are kept to
5 decimal places (about a metre). Write the release, the date and the row count into
timebank/places/data/SOURCE.md when you refresh it.
"""
from __future__ import annotations

import csv
import io
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from timebank.places.geocode import DISTRICTS  # noqa: E402

OUT = ROOT / "timebank" / "places" / "data" / "postcodes.csv"


def area_files(source: Path) -> dict[str, str]:
    """The CSV text of each postcode area the districts are in (l.csv, wa.csv, ...)."""
    areas = {district.rstrip("0123456789").lower() for district in DISTRICTS}
    texts = {}
    if source.is_dir():
        for area in areas:
            texts[area] = (source / "Data" / "CSV" / f"{area}.csv").read_text(encoding="latin-1")
    else:
        with zipfile.ZipFile(source) as archive:
            for area in areas:
                texts[area] = archive.read(f"Data/CSV/{area}.csv").decode("latin-1")
    return texts


def main(argv: list[str]) -> int:
    from pyproj import Transformer

    to_wgs84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    rows = []
    for text in area_files(Path(argv[1])).values():
        for record in csv.reader(io.StringIO(text)):
            postcode, quality, easting, northing = record[0], int(record[1]), int(record[2]), int(record[3])
            outward = postcode.split()[0] if " " in postcode else postcode[:-3].strip()
            if outward not in DISTRICTS or quality >= 60:  # 60: only its sector's mean; 90: no point at all
                continue
            inward = postcode.replace(" ", "")[-3:]
            lon, lat = to_wgs84.transform(easting, northing)
            rows.append((f"{outward} {inward}", f"{lat:.5f}", f"{lon:.5f}", quality))
    rows.sort()
    with OUT.open("w", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("postcode", "latitude", "longitude", "quality"))
        writer.writerows(rows)
    print(f"{len(rows)} postcodes written to {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
