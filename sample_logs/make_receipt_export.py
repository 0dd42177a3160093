"""Write receipt_export_de.csv: the public receipt log as a German case system would export it.

Usage (from the repository root): ``python sample_logs/make_receipt_export.py``

One row per event; ';' separator, Windows-1252 encoding, German headers, local time
(Europe/Berlin) as ``TT.MM.JJJJ HH:MM`` (seconds dropped, as many exports do), CRLF line ends.
The log is read with pm4py's own reader, so the export does not depend on ist-analyse's code.
"""

from pathlib import Path

import pandas as pd
import pm4py

HERE = Path(__file__).resolve().parent


def main() -> None:
    df = pm4py.read_xes(str(HERE / "receipt.xes.gz"), return_legacy_log_object=False)
    ts = pd.to_datetime(df["time:timestamp"], utc=True).dt.tz_convert("Europe/Berlin")
    out = pd.DataFrame({
        "Vorgangsnummer": "WABO-" + df["case:concept:name"].astype(str),
        "Tätigkeit": df["concept:name"].astype(str),
        "Zeitpunkt": ts.dt.strftime("%d.%m.%Y %H:%M"),
        "Bearbeiter": df["org:resource"].astype(str).str.replace("Resource", "MA-"),
    })
    out.to_csv(HERE / "receipt_export_de.csv", sep=";", index=False, encoding="cp1252",
               lineterminator="\r\n")


if __name__ == "__main__":
    main()
