"""Texts and number/date formats of the report in German (default) and English.

A manager reads "1.234 Fälle, 12,5 Tage, 03.07.2025", an English reader "1,234 cases, 12.5
days, 3 July 2025": every text of the report comes from the catalogues below (no string is
assembled from English fragments in German), and every number and date goes through Babel
with the locale of the report, so a figure never appears with the other language's separators.
Suppressed figures (fewer than k cases) are "·" in both languages, figures that do not apply "–".
"""

from __future__ import annotations

import datetime as dt
import math
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from ist_analyse.errors import ConfigError
from ist_analyse.notes import Note, NoteCode
from ist_analyse.privacy.suppress import MARK

LANGS = ("de", "en")
LOCALES = {"de": "de_DE", "en": "en_GB"}
NOT_APPLICABLE = "–"

# One entry per text; {name} placeholders are filled with already formatted values.
CATALOGUES: dict[str, dict[str, str]] = {
    "de": {
        "title": "Ist-Analyse: {source}",
        "subtitle": "Prozessanalyse aus dem Ereignisprotokoll, erstellt am {date}",
        "toc": "Inhalt",
        "sec.summary": "Zusammenfassung",
        "sec.data": "Datengrundlage",
        "sec.map": "Prozesslandkarte",
        "sec.bottlenecks": "Engpässe: wo Anträge warten",
        "sec.conformance": "Soll/Ist-Abweichungen und gesetzliche Fristen",
        "sec.comparison": "Vorher/Nachher-Vergleich",
        "sec.methods": "Methoden und Grenzen",
        "sum.intro": "Ausgewertet wurden {cases} Vorgänge mit {events} Ereignissen vom {start} "
                     "bis {end}.",
        "sum.open": "{open} Vorgänge ({share}) waren zum Exportzeitpunkt noch offen.",
        "sum.duration": "Abgeschlossene Vorgänge dauerten im Median {median} vom ersten "
                        "bis zum letzten Schritt; 90 % dauerten höchstens {p90}.",
        "sum.bottleneck": "Die meiste Wartezeit entsteht zwischen „{a}“ und „{b}“: im Median "
                          "{median}, zusammen {share} aller Wartezeit.",
        "sum.rework": "Am häufigsten wiederholt wird „{activity}“: in {share} der Vorgänge "
                      "mit diesem Schritt.",
        "sum.fitness": "Die Vorgänge passen zu {fitness} zum Soll-Prozess (Token-Replay-"
                       "Fitness; 100 % = jeder Schritt wie im Modell).",
        "sum.rule": "Frist „{name}“: {late} von {checked} geprüften Vorgängen ({share}) "
                    "überschritten oder noch offen über der Frist.",
        "sum.kpi": "{label}: von {before} auf {after} {unit} ({verdict}; Differenz {diff}, "
                   "95 %-KI {lo} bis {hi}).",
        "sum.kpi_nosig": "{label}: von {before} auf {after} {unit} ({verdict}).",
        "sum.no_comparison": "Ein Änderungsdatum ({date}) wurde angegeben, der Vorher/Nachher-"
                             "Vergleich ist in dieser Installation aber nicht verfügbar.",
        "sum.key": "Kennzahlen",
        "sum.not_proven": "Was diese Zahlen nicht beweisen",
        "np.cause": "Die Auswertung zeigt, wo Zeit vergeht, nicht warum: Ursachen (Personal, "
                    "Rückfragen, externe Stellen) müssen im Gespräch mit den Beschäftigten "
                    "geklärt werden.",
        "np.open": "Offene Vorgänge fehlen in den Dauern abgeschlossener Vorgänge; lange "
                   "Verfahren sind deshalb eher unterschätzt.",
        "np.data": "Die Zahlen sind so gut wie die Buchungen im Fachverfahren: nicht gebuchte "
                   "Schritte, nachträglich erfasste Daten und Buchungen ohne Uhrzeit verzerren "
                   "Wartezeiten.",
        "np.compare": "Ein Vorher/Nachher-Unterschied ist kein Beweis für die Wirkung der "
                      "Maßnahme: Saison, Antragsmenge, Personal und Fallmix ändern sich mit.",
        "np.staff": "Die Auswertung bewertet keine Beschäftigten: Zahlen gibt es nur für "
                    "Schritte, Rollen und Teams, kleine Gruppen sind ausgeblendet.",
        "data.period": "Zeitraum",
        "data.cases": "Vorgänge",
        "data.events": "Ereignisse",
        "data.activities": "Tätigkeiten",
        "data.open": "Offene Vorgänge",
        "data.open_unknown": "unbekannt (kein Abschlussschritt angegeben)",
        "data.end": "Abschluss eines Vorgangs",
        "data.source": "Quelle",
        "data.format": "Format",
        "data.findings": "Datenqualität",
        "data.no_findings": "Keine Auffälligkeiten gefunden.",
        "data.finding": "Befund",
        "data.count": "Anzahl",
        "data.examples": "Beispielzeilen",
        "data.privacy": "Datenschutz",
        "data.pseudonymized": "Pseudonymisiert (Schlüssel bleibt in der Behörde): {cols}.",
        "data.not_pseudonymized": "Keine Spalte wurde pseudonymisiert.",
        "data.dropped_cols": "Entfernt, weil sie Personen identifizieren: {cols}.",
        "data.no_dropped_cols": "Keine personenbezogenen Spalten gefunden oder entfernt.",
        "data.rare_labels": "Bezeichnungen, die weniger als {k} Vorgänge verwenden, sind zu "
                            "einer Gruppe „(seltene Bezeichnungen: N)“ zusammengefasst: {cols}.",
        "data.dropped_rows": "{n} unlesbare Zeilen ausgelassen.",
        "data.k_min": "Zahlen über weniger als {k} Vorgänge sind ausgeblendet (·). Es gibt "
                      "keine Zahlen zu einzelnen Beschäftigten.",
        "data.case_mix": "Fallmix: {attribute}",
        "data.value": "Wert",
        "data.share": "Anteil",
        "map.caption": "Prozesslandkarte: {shown} von {total} Übergängen, sie enthalten die "
                       "vollständigen Wege von {coverage} der Vorgänge. Pfeilstärke = "
                       "Häufigkeit, Farbe = Wartezeit (blau kurz, rot lang).",
        "map.alt": "Prozesslandkarte mit {n} Tätigkeiten und {e} Übergängen zwischen ihnen; "
                   "die Zahlen an den Pfeilen sind Fälle und Wartezeiten.",
        "map.variants": "Häufigste Varianten",
        "map.variant": "Ablauf",
        "map.median_duration": "Dauer (Median, {unit})",
        "map.other": "übrige Varianten",
        "map.no_graphviz": "Graphviz ist auf diesem Rechner nicht installiert: statt der Karte "
                           "die Übergänge als Tabelle (Wartezeiten in Tagen).",
        "bn.intro": "Übergänge a → b nach der gesamten Wartezeit vor b (Summe über alle "
                    "Vorgänge), die größten zuerst.",
        "bn.from": "von",
        "bn.to": "nach",
        "bn.cases": "Vorgänge",
        "bn.median": "Median ({unit})",
        "bn.p90": "90 % ({unit})",
        "bn.share": "Anteil an Wartezeit",
        "bn.chart_title": "Wartezeit vor dem nächsten Schritt (Median und 90 %-Wert)",
        "bn.chart_alt": "Balkendiagramm: Median-Wartezeit in {unit} für die {n} Übergänge "
                        "mit der meisten Wartezeit; am längsten: {top} mit {value} {unit}.",
        "bn.xlabel": "{unit}",
        "bn.median_legend": "Median",
        "bn.p90_legend": "90 %-Wert",
        "bn.rework": "Wiederholte Schritte (Nacharbeit)",
        "bn.activity": "Tätigkeit",
        "bn.rework_cases": "Vorgänge mit Wiederholung",
        "bn.rework_share": "Anteil",
        "bn.weekly_title": "Eingänge, Abschlüsse und offene Vorgänge pro Woche",
        "bn.weekly_alt": "Liniendiagramm pro Kalenderwoche von {start} bis {end}: neue "
                         "Vorgänge, abgeschlossene Vorgänge und offene Vorgänge am Wochenende"
                         "{change}.",
        "bn.weekly_alt_change": "; eine senkrechte Linie markiert das Änderungsdatum {date}",
        "week.arrivals": "Eingänge",
        "week.completions": "Abschlüsse",
        "week.wip": "offen am Wochenende",
        "week.median": "Dauer (Median, Tage)",
        "week.change": "Änderung {date}",
        "week.washout": "Übergangszeit",
        "week.per_week": "Vorgänge pro Woche",
        "week.open": "offene Vorgänge",
        "conf.model": "Soll-Modell: {source} ({n} Tätigkeiten).",
        "conf.fitness": "Token-Replay-Fitness {fitness}; {fitting} der Vorgänge laufen "
                        "vollständig wie im Modell.",
        "conf.aligned": "Abweichungen aus Alignments für {variants} von {total} Varianten "
                        "({share} der Vorgänge; Zeitbudget {budget} s).",
        "conf.deviations": "Abweichungen vom Soll-Prozess",
        "conf.skipped": "im Modell vorgesehen, aber ausgelassen",
        "conf.extra": "ohne Modell-Erlaubnis ausgeführt",
        "conf.skipped_text": "„{activity}“ wurde in {n} Vorgängen ausgelassen, obwohl das "
                             "Modell den Schritt verlangt.",
        "conf.extra_text": "„{activity}“ wurde in {n} Vorgängen ausgeführt, wo das Modell ihn "
                           "nicht vorsieht.",
        "conf.order": "an falscher Stelle (Reihenfolge)",
        "conf.order_text": "„{activity}“ wurde in {n} Vorgängen an einer anderen Stelle "
                           "ausgeführt, als das Modell vorsieht (falsche Reihenfolge).",
        "conf.none": "Keine Abweichungen in den ausgerichteten Vorgängen.",
        "rules.title": "Regeln und Fristen",
        "rules.name": "Regel",
        "rules.kind": "Art",
        "rules.checked": "geprüft",
        "rules.violations": "verletzt",
        "rules.overdue": "offen über Frist",
        "rules.share": "Anteil",
        "rules.median": "Median (Tage)",
        "rules.limit": "Frist (Tage)",
        "kind.deadline": "Frist",
        "kind.order": "Reihenfolge",
        "kind.exists": "Pflichtschritt",
        "kind.absent": "verbotener Schritt",
        "cmp.intro": "Vergleich der Vorgänge, die vor dem {date} begonnen haben, mit denen, die "
                     "danach begonnen haben{washout}.",
        "cmp.washout": " (ohne eine Übergangszeit von {days} Tagen)",
        "cmp.period": "Zeitraum",
        "cmp.before": "vorher",
        "cmp.after": "nachher",
        "cmp.open_share": "davon offen",
        "cmp.kpis": "Kennzahlen",
        "cmp.kpi": "Kennzahl",
        "cmp.difference": "Differenz",
        "cmp.ci": "95 %-KI der Differenz",
        "cmp.p": "p (adjustiert)",
        "cmp.verdict": "Ergebnis",
        "cmp.case_mix": "Fallmix: {attribute}",
        "cmp.case_mix_shifted": "Der Fallmix hat sich verschoben (p = {p}): ein Teil des "
                                "Unterschieds kann daher kommen.",
        "cmp.case_mix_stable": "Der Fallmix ist vorher und nachher ähnlich (p = {p}).",
        "cmp.weekly_title": "Wochenverlauf mit Änderungsdatum",
        "cmp.weekly_alt": "Wochenverlauf von {start} bis {end}: Eingänge und Abschlüsse pro "
                          "Woche und offene Vorgänge, senkrechte Linie am Änderungsdatum {date}.",
        "cmp.km_title": "Anteil noch nicht abgeschlossener Vorgänge nach Verfahrensdauer",
        "cmp.km_alt": "Kaplan-Meier-Kurven: Anteil der Vorgänge, die nach x Tagen noch nicht "
                      "abgeschlossen sind, vorher (durchgezogen) und nachher (gestrichelt); "
                      "Median vorher {before} Tage, nachher {after} Tage.",
        "cmp.km_x": "Tage seit Beginn des Vorgangs",
        "cmp.km_y": "noch offen",
        "cmp.diffmap": "Differenzkarte",
        "cmp.diffmap_alt": "Prozesslandkarte, deren Pfeile zeigen, wo sich Wartezeiten "
                           "zwischen vorher und nachher verändert haben.",
        "cmp.more_kpis": "{n} weitere Kennzahlen (einzelne Schritte und Übergänge ohne "
                          "gesicherte Änderung) stehen in der Tabelle zum Herunterladen.",
        "cmp.checks": "Robustheitsprüfungen",
        "cmp.placebo": "Placebo-Datum {date}: {kpi} {result} (p = {p}).",
        "cmp.shifted": "Änderungsdatum um {weeks} Wochen verschoben: Differenz der "
                       "Verfahrensdauer {diff} Tage (p = {p}).",
        "cmp.sig_yes": "signifikant",
        "cmp.sig_no": "nicht signifikant",
        "cmp.warnings": "Warnhinweise",
        "cmp.missing": "Der Vorher/Nachher-Vergleich (Modul ist_analyse.comparison) ist nicht "
                       "verfügbar; das Änderungsdatum {date} ist im Wochenverlauf markiert.",
        "verdict.faster": "schneller",
        "verdict.slower": "langsamer",
        "verdict.higher": "höher",
        "verdict.lower": "niedriger",
        "verdict.no_change": "keine gesicherte Änderung",
        "verdict.not_enough_data": "zu wenige Daten",
        "verdict.confounded": "nicht zuzuordnen (Arbeitslast änderte sich zugleich)",
        "kpi.case_duration": "Verfahrensdauer (Median)",
        "kpi.rework_rate": "Nacharbeitsquote",
        "kpi.rework": "Wiederholung „{x}“",
        "kpi.wait": "Wartezeit {x}",
        "kpi.proc": "Bearbeitungszeit „{x}“",
        "kpi.deadline": "Frist „{x}“",
        "kpi.arrivals_per_week": "Eingänge pro Woche",
        "kpi.completions_per_week": "Abschlüsse pro Woche",
        "kpi.rmst": "mittlere Verfahrensdauer bis {h} Tage (RMST)",
        "unit.days": "Tage",
        "unit.hours": "Stunden",
        "unit.minutes": "Minuten",
        "unit.share": "",
        "unit.per_week": "pro Woche",
        "meth.title": "Methoden",
        "meth.waiting": "Wartezeit vor einem Schritt b: Zeit vom Abschluss des vorigen Schritts "
                        "a bis zum Beginn (ohne Startzeit: Abschluss) von b, in {unit}.",
        "meth.duration": "Verfahrensdauer: vom ersten bis zum letzten Ereignis eines "
                         "abgeschlossenen Vorgangs (Abschluss: {end}).",
        "meth.map": "Prozesslandkarte: Direktfolge-Graph; gezeigt werden die häufigsten "
                    "Übergänge, bis die vollständigen Wege von {coverage} der Vorgänge "
                    "enthalten sind.",
        "meth.conformance": "Soll/Ist: Token-Replay-Fitness (pm4py) gegen das Soll-Modell; "
                            "Abweichungen je Tätigkeit aus Alignments, die häufigsten Varianten "
                            "zuerst, mit Zeitbudget.",
        "meth.rules": "Fristen und Regeln: je Vorgang einmal beurteilt; eine Frist gilt in "
                      "einem offenen Vorgang erst als verletzt, wenn sie abgelaufen ist.",
        "meth.compare": "Vorher/Nachher: Kohorten nach Beginn des Vorgangs; offene Vorgänge "
                        "gehen über Kaplan-Meier-Schätzer ein; Konfidenzintervalle und "
                        "p-Werte sind für mehrere Kennzahlen adjustiert (α = {alpha}).",
        "meth.privacy": "Datenschutz: Vorgangs- und Beschäftigtenkennungen sind mit einem "
                        "Schlüssel pseudonymisiert, der die Behörde nicht verlässt; Zahlen über "
                        "weniger als {k} Vorgänge sind ausgeblendet (·), Zahlen gibt es nie je "
                        "Person.",
        "meth.notes": "Hinweise der Analyseschritte",
        "meth.note_untranslated": "{text} (englisch)",
        "meth.software": "Erstellt mit ist-analyse {version} in {seconds} s.",
        "meth.working_days": "Arbeitstagen (Mo–Fr ohne Feiertage {land})",
        "meth.calendar_days": "Kalendertagen",
        "dl.csv": "CSV herunterladen",
        "dl.xlsx": "Excel herunterladen",
        "yes": "ja",
        "no": "nein",
        "footer": "Seite",
    },
    "en": {
        "title": "As-is analysis: {source}",
        "subtitle": "Process analysis from the event log, made on {date}",
        "toc": "Contents",
        "sec.summary": "Summary",
        "sec.data": "Data basis",
        "sec.map": "Process map",
        "sec.bottlenecks": "Bottlenecks: where applications wait",
        "sec.conformance": "Deviations from the target process and legal deadlines",
        "sec.comparison": "Before/after comparison",
        "sec.methods": "Methods and limits",
        "sum.intro": "{cases} cases with {events} events from {start} to {end} were analysed.",
        "sum.open": "{open} cases ({share}) were still open at the export date.",
        "sum.duration": "Completed cases took a median of {median} from their first to "
                        "their last step; 90 % took at most {p90}.",
        "sum.bottleneck": "Most waiting happens between “{a}” and “{b}”: a median of {median}, "
                          "{share} of all waiting.",
        "sum.rework": "The step repeated most often is “{activity}”: in {share} of the cases "
                      "with this step.",
        "sum.fitness": "The cases fit the target process to {fitness} (token-replay fitness; "
                       "100 % = every step as in the model).",
        "sum.rule": "Deadline “{name}”: {late} of {checked} checked cases ({share}) missed it "
                    "or are still open beyond it.",
        "sum.kpi": "{label}: from {before} to {after} {unit} ({verdict}; difference {diff}, "
                   "95 % CI {lo} to {hi}).",
        "sum.kpi_nosig": "{label}: from {before} to {after} {unit} ({verdict}).",
        "sum.no_comparison": "A change date ({date}) was given, but the before/after "
                             "comparison is not available in this installation.",
        "sum.key": "Key figures",
        "sum.not_proven": "What these figures do not prove",
        "np.cause": "The analysis shows where time goes, not why: causes (staffing, queries, "
                    "external bodies) must be clarified with the staff.",
        "np.open": "Open cases are missing from the durations of completed cases, so long "
                   "procedures are rather underestimated.",
        "np.data": "The figures are as good as the bookings in the case system: steps not "
                   "booked, data entered later and bookings without a time distort waiting "
                   "times.",
        "np.compare": "A before/after difference does not prove that the measure worked: "
                      "season, volume, staffing and case mix change as well.",
        "np.staff": "The analysis does not assess staff: figures are given for steps, roles "
                    "and teams only, small groups are suppressed.",
        "data.period": "Period",
        "data.cases": "Cases",
        "data.events": "Events",
        "data.activities": "Activities",
        "data.open": "Open cases",
        "data.open_unknown": "unknown (no end activity given)",
        "data.end": "End of a case",
        "data.source": "Source",
        "data.format": "Format",
        "data.findings": "Data quality",
        "data.no_findings": "No findings.",
        "data.finding": "Finding",
        "data.count": "Count",
        "data.examples": "Example lines",
        "data.privacy": "Data protection",
        "data.pseudonymized": "Pseudonymised (the key stays in the office): {cols}.",
        "data.not_pseudonymized": "No column was pseudonymised.",
        "data.dropped_cols": "Dropped because they identify persons: {cols}.",
        "data.no_dropped_cols": "No person columns found or dropped.",
        "data.rare_labels": "Labels used by fewer than {k} cases are pooled into one group "
                            "'(seltene Bezeichnungen: N)': {cols}.",
        "data.dropped_rows": "{n} unreadable rows left out.",
        "data.k_min": "Figures about fewer than {k} cases are suppressed (·). There are no "
                      "figures about individual staff members.",
        "data.case_mix": "Case mix: {attribute}",
        "data.value": "Value",
        "data.share": "Share",
        "map.caption": "Process map: {shown} of {total} transitions, which contain the complete "
                       "paths of {coverage} of the cases. Arrow width = frequency, colour = "
                       "waiting time (blue short, red long).",
        "map.alt": "Process map with {n} activities and {e} transitions between them; the "
                   "figures on the arrows are cases and waiting times.",
        "map.variants": "Most frequent variants",
        "map.variant": "Path",
        "map.median_duration": "Duration (median, {unit})",
        "map.other": "other variants",
        "map.no_graphviz": "Graphviz is not installed on this computer: the transitions as a "
                           "table instead of the map (waiting times in days).",
        "bn.intro": "Transitions a → b by total waiting before b (summed over all cases), "
                    "largest first.",
        "bn.from": "from",
        "bn.to": "to",
        "bn.cases": "Cases",
        "bn.median": "Median ({unit})",
        "bn.p90": "P90 ({unit})",
        "bn.share": "Share of waiting",
        "bn.chart_title": "Waiting before the next step (median and 90th percentile)",
        "bn.chart_alt": "Bar chart: median waiting time in {unit} for the {n} transitions "
                        "with the most waiting; longest: {top} with {value} {unit}.",
        "bn.xlabel": "{unit}",
        "bn.median_legend": "median",
        "bn.p90_legend": "90th percentile",
        "bn.rework": "Repeated steps (rework)",
        "bn.activity": "Activity",
        "bn.rework_cases": "Cases with repetition",
        "bn.rework_share": "Share",
        "bn.weekly_title": "Arrivals, completions and open cases per week",
        "bn.weekly_alt": "Line chart per calendar week from {start} to {end}: new cases, "
                         "completed cases and cases open at the end of the week{change}.",
        "bn.weekly_alt_change": "; a vertical line marks the change date {date}",
        "week.arrivals": "arrivals",
        "week.completions": "completions",
        "week.wip": "open at end of week",
        "week.median": "duration (median, days)",
        "week.change": "change {date}",
        "week.washout": "washout",
        "week.per_week": "cases per week",
        "week.open": "open cases",
        "conf.model": "Target model: {source} ({n} activities).",
        "conf.fitness": "Token-replay fitness {fitness}; {fitting} of the cases follow the "
                        "model completely.",
        "conf.aligned": "Deviations from alignments of {variants} of {total} variants ({share} "
                        "of the cases; time budget {budget} s).",
        "conf.deviations": "Deviations from the target process",
        "conf.skipped": "required by the model but skipped",
        "conf.extra": "done without the model allowing it",
        "conf.skipped_text": "“{activity}” was skipped in {n} cases although the model "
                             "requires it.",
        "conf.extra_text": "“{activity}” was done in {n} cases where the model does not allow "
                           "it.",
        "conf.order": "in the wrong order",
        "conf.order_text": "“{activity}” was done at another point than the model allows in "
                           "{n} cases (wrong order).",
        "conf.none": "No deviations in the aligned cases.",
        "rules.title": "Rules and deadlines",
        "rules.name": "Rule",
        "rules.kind": "Kind",
        "rules.checked": "checked",
        "rules.violations": "violated",
        "rules.overdue": "open beyond limit",
        "rules.share": "Share",
        "rules.median": "Median (days)",
        "rules.limit": "Limit (days)",
        "kind.deadline": "deadline",
        "kind.order": "order",
        "kind.exists": "mandatory step",
        "kind.absent": "forbidden step",
        "cmp.intro": "Cases started before {date} compared with cases started after it"
                     "{washout}.",
        "cmp.washout": " (leaving out a washout of {days} days)",
        "cmp.period": "Period",
        "cmp.before": "before",
        "cmp.after": "after",
        "cmp.open_share": "of which open",
        "cmp.kpis": "Key figures",
        "cmp.kpi": "Figure",
        "cmp.difference": "Difference",
        "cmp.ci": "95 % CI of the difference",
        "cmp.p": "p (adjusted)",
        "cmp.verdict": "Result",
        "cmp.case_mix": "Case mix: {attribute}",
        "cmp.case_mix_shifted": "The case mix has shifted (p = {p}): part of the difference "
                                "may come from it.",
        "cmp.case_mix_stable": "The case mix is similar before and after (p = {p}).",
        "cmp.weekly_title": "Weekly series with the change date",
        "cmp.weekly_alt": "Weekly series from {start} to {end}: arrivals and completions per "
                          "week and open cases, vertical line at the change date {date}.",
        "cmp.km_title": "Share of cases not yet completed by duration",
        "cmp.km_alt": "Kaplan–Meier curves: share of cases not completed after x days, before "
                      "(solid) and after (dashed); median before {before} days, after {after} "
                      "days.",
        "cmp.km_x": "days since the case started",
        "cmp.km_y": "still open",
        "cmp.diffmap": "Difference map",
        "cmp.diffmap_alt": "Process map whose arrows show where waiting times changed between "
                           "before and after.",
        "cmp.more_kpis": "{n} more figures (single steps and transitions without a reliable "
                          "change) are in the downloadable table.",
        "cmp.checks": "Robustness checks",
        "cmp.placebo": "Placebo date {date}: {kpi} {result} (p = {p}).",
        "cmp.shifted": "Change date shifted by {weeks} weeks: difference in case duration "
                       "{diff} days (p = {p}).",
        "cmp.sig_yes": "significant",
        "cmp.sig_no": "not significant",
        "cmp.warnings": "Warnings",
        "cmp.missing": "The before/after comparison (module ist_analyse.comparison) is not "
                       "available; the change date {date} is marked in the weekly series.",
        "verdict.faster": "faster",
        "verdict.slower": "slower",
        "verdict.higher": "higher",
        "verdict.lower": "lower",
        "verdict.no_change": "no reliable change",
        "verdict.not_enough_data": "not enough data",
        "verdict.confounded": "cannot be attributed (workload changed at the same time)",
        "kpi.case_duration": "Case duration (median)",
        "kpi.rework_rate": "Rework rate",
        "kpi.rework": "Repetition of “{x}”",
        "kpi.wait": "Waiting {x}",
        "kpi.proc": "Processing of “{x}”",
        "kpi.deadline": "Deadline “{x}”",
        "kpi.arrivals_per_week": "Arrivals per week",
        "kpi.completions_per_week": "Completions per week",
        "kpi.rmst": "mean case duration up to {h} days (RMST)",
        "unit.days": "days",
        "unit.hours": "hours",
        "unit.minutes": "minutes",
        "unit.share": "",
        "unit.per_week": "per week",
        "meth.title": "Methods",
        "meth.waiting": "Waiting before a step b: time from the completion of the previous step "
                        "a to the start (without start times: completion) of b, in {unit}.",
        "meth.duration": "Case duration: from the first to the last event of a completed case "
                         "(completion: {end}).",
        "meth.map": "Process map: directly-follows graph showing the most frequent transitions "
                    "until the complete paths of {coverage} of the cases are contained.",
        "meth.conformance": "Target vs. actual: token-replay fitness (pm4py) against the target "
                            "model; deviations per activity from alignments, most frequent "
                            "variants first, with a time budget.",
        "meth.rules": "Deadlines and rules: each case judged once; in an open case a deadline "
                      "counts as missed only once it has passed.",
        "meth.compare": "Before/after: cohorts by case start; open cases enter through "
                        "Kaplan–Meier estimates; confidence intervals and p values are adjusted "
                        "for multiple figures (α = {alpha}).",
        "meth.privacy": "Data protection: case and staff ids are keyed pseudonyms whose key "
                        "stays in the office; figures about fewer than {k} cases are suppressed "
                        "(·), and no figure is ever given per person.",
        "meth.notes": "Notes from the analysis steps",
        "meth.note_untranslated": "{text}",
        "meth.software": "Made with ist-analyse {version} in {seconds} s.",
        "meth.working_days": "office days (Mon–Fri without public holidays of {land})",
        "meth.calendar_days": "calendar days",
        "dl.csv": "Download CSV",
        "dl.xlsx": "Download Excel",
        "yes": "yes",
        "no": "no",
        "footer": "Page",
    },
}

# Data-quality findings of :mod:`ist_analyse.inspection`, by code: the inspection writes
# English messages, the German report needs its own sentence.
FINDINGS: dict[str, dict[str, str]] = {
    "de": {
        "ROWS_SKIPPED": "{count} unlesbare Zeilen wurden ausgelassen.",
        "DUPLICATE_EVENTS": "{count} Ereignisse wiederholen ein anderes Ereignis desselben "
                            "Vorgangs genau (gleiche Tätigkeit, gleiche Zeit).",
        "SINGLE_EVENT_CASES": "{count} Vorgänge bestehen aus nur einem Ereignis.",
        "OUT_OF_ORDER": "{count} Vorgänge listen Ereignisse nicht in zeitlicher Reihenfolge; "
                        "sie wurden nach Zeit sortiert.",
        "IMPLAUSIBLE_DATES": "{count} Ereignisse mit unplausiblem Datum (vor 1900 oder nach "
                             "2100, nach dem Exportzeitpunkt, oder vor 1990 in einem jüngeren "
                             "Protokoll: Tippfehler oder Platzhalter) wurden ausgelassen; sie "
                             "zählen weder für den Zeitraum noch für Kennzahlen und Grafiken.",
        "IDENTICAL_TIMESTAMPS": "{count} Ereignisse haben dieselbe Zeit wie das vorige Ereignis "
                                "des Vorgangs: ihre Reihenfolge ist unbekannt.",
        "START_AFTER_END": "{count} Tätigkeiten beginnen nach ihrem Ende.",
        "DATE_ONLY": "{count} Zeitpunkte haben ein Datum, aber keine Uhrzeit (als 00:00 "
                     "gelesen).",
        "DST_AMBIGUOUS": "{count} Ortszeiten fallen in die Zeitumstellung.",
        "LIFECYCLE": "{count} Start-/Ende-Ereignisse wurden zu Tätigkeiten zusammengefasst "
                     "oder gesondert gezählt.",
        "LIFECYCLE_STATUS": "{count} Ereignisse tragen statt eines Lebenszyklus-Übergangs "
                            "einen Status (z. B. „In Progress“): Jedes zählt als erledigter "
                            "Schritt „Tätigkeit+Status“.",
        "NAIVE_TIMESTAMPS": "{count} Zeitpunkte haben keine Zeitzone und wurden als Ortszeit "
                            "der eingestellten Zeitzone (--timezone) gelesen.",
        "REPEATED_KEYS": "{count}-mal stand dasselbe Attribut zweimal in einem Ereignis oder "
                         "Fall; der letzte Wert wurde verwendet.",
    },
    "en": {
        "ROWS_SKIPPED": "{count} unreadable rows were skipped.",
        "DUPLICATE_EVENTS": "{count} events repeat another event of the same case exactly "
                            "(same activity, same time).",
        "SINGLE_EVENT_CASES": "{count} cases consist of a single event.",
        "OUT_OF_ORDER": "{count} cases list events out of time order; they were sorted by "
                        "time.",
        "IMPLAUSIBLE_DATES": "{count} events with an implausible date (before 1900 or after "
                             "2100, after the export, or before 1990 in a younger log: typing "
                             "errors or placeholders) were left out; they count neither for "
                             "the period nor for figures and charts.",
        "IDENTICAL_TIMESTAMPS": "{count} events share their time with the previous event of "
                                "the case: their order is not known.",
        "START_AFTER_END": "{count} activities start after they end.",
        "DATE_ONLY": "{count} timestamps have a date but no time (read as 00:00).",
        "DST_AMBIGUOUS": "{count} local times fall into a daylight saving time change.",
        "LIFECYCLE": "{count} start/complete events were merged into activities or counted "
                     "separately.",
        "LIFECYCLE_STATUS": "{count} events carry a status instead of a lifecycle "
                            "transition (e.g. “In Progress”): each counts as a completed step "
                            "“activity+status”.",
        "NAIVE_TIMESTAMPS": "{count} timestamps have no time zone and were read as local time "
                            "in the configured zone (--timezone).",
        "REPEATED_KEYS": "{count} times an attribute was given twice in one event or trace; "
                         "the last value was used.",
    },
}


# Notes of the analyses (:class:`ist_analyse.notes.Note`), by code. The CLI and ``--json`` keep
# the analysis' English text; the report writes these sentences instead. A placeholder's
# format names how its raw value is shown (:class:`_NoteFormatter`): ``int``, ``num``,
# ``pct`` / ``pct0`` (share, 1 or no decimals), ``signed_pct0`` (a relative change), ``p`` ("p =
# 0,012"), ``date``, ``names`` (quoted, comma-separated), ``counts`` ({name: n}), ``group``
# (before/after of the comparison), ``kpis`` (KPI names of the comparison), ``note`` (a nested
# note); without a format the value is shown as it is (a file name).
NOTES: dict[str, dict[str, str]] = {
    "de": {
        NoteCode.LIFECYCLE_LEFT_OUT: "Ereignisse, die keinen erledigten Arbeitsschritt melden "
                                     "(z. B. Beginn oder Planung eines Schritts), wurden nicht "
                                     "als Schritte gezählt: {counts:counts}.",
        NoteCode.DATES_LEFT_OUT: "{count:int} Ereignisse mit unplausiblem Datum (vor 1900 oder "
                                 "nach 2100, nach dem Export, oder vor 1990 in einem jüngeren "
                                 "Protokoll) wurden ausgelassen: Zeitraum, Kennzahlen und "
                                 "Grafiken beruhen auf den übrigen (siehe Datengrundlage)",
        NoteCode.START_AFTER_END: "{count:int} Arbeitsschritte beginnen laut Daten nach ihrem "
                                  "Ende; ihre Startzeit wurde nicht verwendet.",
        NoteCode.NO_START_TIMES: "Die Daten enthalten keine Startzeiten: Die Wartezeit wird vom "
                                 "Abschluss eines Schritts bis zum Abschluss des nächsten "
                                 "gemessen und enthält deshalb auch dessen Bearbeitungszeit.",
        NoteCode.ROLES_WITHOUT_STAFF_IDS: "Zu den Rollen gibt es keine Personalkennungen: Ob "
                                          "eine Rolle weniger als {k_min:int} Beschäftigte hat, "
                                          "ist nicht erkennbar. Bitte prüfen, dass keine Rolle "
                                          "nur aus einer Person besteht.",
        NoteCode.STAFF_IDS_WITHOUT_ROLES: "Die Arbeitslast wird nur je Rolle oder Team "
                                          "gezeigt: Die Daten enthalten Personalkennungen, aber "
                                          "keine Rollen. Für die Arbeitslast je Rolle die "
                                          "Kennungen in der Zuordnungsdatei Rollen zuordnen "
                                          "([staff] oder --role-col). Zu einzelnen Personen "
                                          "wird nichts gezeigt.",
        NoteCode.LIFECYCLE_PENDING: "{count:int} Ereignisse, die keinen erledigten "
                                    "Arbeitsschritt melden (z. B. Beginn oder Planung eines "
                                    "Schritts), wurden beim Soll/Ist-Vergleich ausgelassen.",
        NoteCode.ALIGNMENT_TIME_BUDGET: "Zeitbudget von {seconds:num} Sekunden: "
                                        "Nur {variants_aligned:int} von {variants:int} "
                                        "Ablaufvarianten wurden Schritt für Schritt mit dem "
                                        "Soll-Modell abgeglichen. Sie umfassen "
                                        "{cases_aligned:int} von {cases:int} Vorgängen "
                                        "({share:pct}); die Abweichungstabelle beschreibt nur "
                                        "diese Vorgänge.",
        NoteCode.MODEL_ELEMENTS_IGNORED: "Elemente des Soll-Modells, die den Ablauf nicht "
                                         "bestimmen, wurden nicht ausgewertet (BPMN-Elementtyp "
                                         "und Anzahl): {counts:counts}.",
        NoteCode.MODEL_WITHOUT_LAYOUT: "Graphviz ist nicht installiert: {file} enthält kein "
                                       "Diagramm-Layout (ein Modellierungswerkzeug ordnet das "
                                       "Modell beim Öffnen an).",
        NoteCode.NO_GRAPHVIZ: "Graphviz ist nicht installiert: Der Bericht zeigt Tabellen statt "
                              "Prozesslandkarten (für die Karten Graphviz installieren).",
        NoteCode.PRECISION_SKIPPED: "Die Präzision des Soll-Modells wurde nicht berechnet: Bei "
                                    "mehr als {events:int} Ereignissen dauert das zu lange.",
        NoteCode.EXISTS_WITHOUT_END: "Keine Abschlussschritte angegeben: Regeln für "
                                     "Pflichtschritte prüfen jeden Vorgang, auch noch offene.",
        NoteCode.OPEN_CASES_INCLUDED: "Auch offene Vorgänge wurden mit dem Soll-Modell "
                                      "verglichen.",
        NoteCode.END_ACTIVITIES_UNKNOWN: "Die Abschlussschritte sind nicht angegeben: Auch "
                                         "offene Vorgänge wurden mit dem Soll-Modell "
                                         "verglichen, ihre noch fehlenden letzten Schritte "
                                         "zählen als ausgelassen.",
        NoteCode.OPEN_CASES_NOT_COMPARED: "{count:int} offene Vorgänge (ohne Abschlussschritt "
                                          "{ends:names}) wurden nicht mit dem Soll-Modell "
                                          "verglichen; die Prüfung der Fristen und Regeln "
                                          "erfasst sie trotzdem.",
        NoteCode.REFERENCE_MODEL: "{cases:int} Vorgänge, begonnen vom {first:date} bis "
                                  "{last:date}",
        NoteCode.SOLL_DISCOVERED: "Das Soll-Modell wurde aus den Abläufen eines "
                                  "Referenzzeitraums ermittelt: {model:note}.",
        NoteCode.END_ACTIVITIES_MISSING: "Keiner der Abschlussschritte ({ends:names}) kommt in "
                                         "{file} vor: Jeder Vorgang gilt als offen.",
        NoteCode.ONLY_DEADLINE_RULES: "Von den Regeln gehen nur die Fristen in den Vorher/"
                                      "Nachher-Vergleich ein; Reihenfolge, Pflichtschritte und "
                                      "verbotene Schritte prüft der Soll/Ist-Vergleich.",
        NoteCode.SEGMENTED_NEEDS_CHANGE: "Die Trendanalyse (segmentierte Regression) braucht "
                                         "ein Änderungsdatum; sie entfällt.",
        # the comparison's warnings
        NoteCode.CLOSED_BY_IDLE_TIME: "Keine Abschlussschritte angegeben: Ein Vorgang gilt mit "
                                      "seinem letzten Ereignis als abgeschlossen, wenn in den "
                                      "{days:int} Tagen vor dem Exportzeitpunkt nichts mehr "
                                      "geschah (95 % der Abstände zwischen zwei Ereignissen "
                                      "sind kürzer). Genaue Zahlen gibt es mit Angabe der "
                                      "Abschlussschritte (--end-activity).",
        NoteCode.OPEN_SHARE_HIGH: "{share:pct0} der Vorgänge der Gruppe „{group:group}“ sind "
                                  "zum Exportzeitpunkt noch offen: Ihre Dauer steht noch nicht "
                                  "fest, und der Median stützt sich auf die bisher "
                                  "abgeschlossenen Vorgänge. Vor Schlussfolgerungen weitere "
                                  "Abschlüsse abwarten.",
        NoteCode.DURATION_TOO_FEW_CLOSED: "Zu wenige abgeschlossene Vorgänge für ein Ergebnis "
                                          "zur Verfahrensdauer (nötig sind mindestens "
                                          "{min_n:int} je Gruppe).",
        NoteCode.MEDIAN_NOT_REACHED: "In einer Gruppe ist weniger als die Hälfte der Vorgänge "
                                     "abgeschlossen, der Median ihrer Verfahrensdauer ist daher "
                                     "noch nicht erreicht; aussagekräftiger ist dann die "
                                     "mittlere Verfahrensdauer bis zum Horizont (RMST).",
        NoteCode.AFTER_PERIOD_SHORT: "Erst {weeks:int} Wochen nach der Änderung: Auswirkungen "
                                     "auf lange Verfahren sind noch nicht zu sehen.",
        NoteCode.ARRIVALS_CHANGED: "Die Zahl neuer Vorgänge pro Woche hat sich um "
                                   "{change:signed_pct0} verändert: Eine andere Arbeitslast kann "
                                   "Änderungen der Warte- und Verfahrensdauern ebenso erklären "
                                   "wie die Maßnahme selbst.",
        NoteCode.WORKLOAD_CHANGED: "Die Arbeitslast (neue Vorgänge pro Woche in den {weeks:int} "
                                   "Wochen vor dem Beginn eines Vorgangs) hat sich zwischen den "
                                   "Gruppen um {change:signed_pct0} verändert: Unterschiede bei "
                                   "Verfahrensdauer, Wartezeiten und Nacharbeit in der Richtung, "
                                   "die diese Änderung der Arbeitslast erwarten lässt, sind "
                                   "nicht der Prozessänderung zuzuordnen.",
        NoteCode.WORKLOAD_CONFOUNDED: "Die Arbeitslast (neue Vorgänge pro Woche in den "
                                      "{weeks:int} Wochen vor dem Beginn eines Vorgangs) hat "
                                      "sich zwischen den Gruppen um {change:signed_pct0} "
                                      "verändert: Unterschiede bei Verfahrensdauer, Wartezeiten "
                                      "und Nacharbeit in der Richtung, die diese Änderung der "
                                      "Arbeitslast erwarten lässt, sind nicht der "
                                      "Prozessänderung zuzuordnen ({count:int} Kennzahlen als "
                                      "„nicht zuzuordnen“ markiert: {kpis:kpis}).",
        NoteCode.CASE_MIX_SHIFTED: "Der Fallmix ({attribute}) unterscheidet sich zwischen den "
                                   "Gruppen (Chi-Quadrat-Test, {p:p}): Ein Teil der Unterschiede "
                                   "kann daher kommen; siehe die Tabelle zum Fallmix.",
        NoteCode.PLACEBO_SIGNIFICANT: "{count:int} von {total:int} Placebo-Tests zu Zeitpunkten "
                                      "ohne Änderung sind signifikant: Die Daten haben Trends "
                                      "oder saisonale Schwankungen, die der Vergleich nicht von "
                                      "einer Wirkung der Änderung trennen kann.",
        NoteCode.SHIFTED_DATE_CLEARER: "Mit einem um ±{weeks:int} Wochen verschobenen "
                                       "Änderungsdatum ist der Unterschied der Verfahrensdauer "
                                       "ebenso deutlich oder deutlicher: Die Änderung hat "
                                       "vielleicht zu einem anderen Zeitpunkt begonnen, oder der "
                                       "Unterschied ist ein Trend.",
        NoteCode.PLACEBO_PERIOD_TOO_SHORT: "Der Zeitraum vor der Änderung ist für die "
                                           "Placebo-Prüfungen zu kurz (nötig sind {weeks:int} "
                                           "Wochen).",
        # the title of the difference map
        NoteCode.GROUPS_COMPARED: "{before:group} → {after:group}",
    },
    "en": {
        NoteCode.LIFECYCLE_LEFT_OUT: "lifecycle events that are not completed activity "
                                     "instances were left out ({counts:counts})",
        NoteCode.DATES_LEFT_OUT: "{count:int} events with implausible dates (before 1900 or "
                                 "after 2100, after the export, or before 1990 in a younger "
                                 "log) were left out: the period, figures and charts rest on "
                                 "the others (see the data basis)",
        NoteCode.START_AFTER_END: "{count:int} activity instances start after they end; their "
                                  "start time was ignored",
        NoteCode.NO_START_TIMES: "the log has no start times: waiting is measured from one "
                                 "completion to the next and includes the processing of the "
                                 "later step",
        NoteCode.ROLES_WITHOUT_STAFF_IDS: "roles without staff ids: a role with fewer than "
                                          "{k_min:int} staff members cannot be recognised, "
                                          "check that no role is a single person",
        NoteCode.STAFF_IDS_WITHOUT_ROLES: "workload is reported per role or team only: the "
                                          "log has staff ids but no role; map staff ids to "
                                          "roles ([staff] in the mapping file or --role-col). "
                                          "Nothing is reported per person.",
        NoteCode.LIFECYCLE_PENDING: "{count:int} events that are not completed activity "
                                    "instances (lifecycle start/schedule ...) were left out",
        NoteCode.ALIGNMENT_TIME_BUDGET: "time budget of {seconds:num} s: {variants_aligned:int} "
                                        "of {variants:int} variants aligned, covering "
                                        "{cases_aligned:int} of {cases:int} cases ({share:pct}); "
                                        "alignment figures and the deviation table describe "
                                        "these cases only",
        NoteCode.MODEL_ELEMENTS_IGNORED: "model elements that do not affect the control flow "
                                         "were ignored ({counts:counts})",
        NoteCode.MODEL_WITHOUT_LAYOUT: "Graphviz is not installed: {file} has no diagram "
                                       "layout (a modelling tool lays it out on import)",
        NoteCode.NO_GRAPHVIZ: "Graphviz is not installed: the report shows tables instead of "
                              "process maps (install Graphviz for the maps)",
        NoteCode.PRECISION_SKIPPED: "precision not computed for more than {events:int} events",
        NoteCode.EXISTS_WITHOUT_END: "no end activities given: 'exists' rules check every "
                                     "case, also open ones",
        NoteCode.OPEN_CASES_INCLUDED: "open cases were compared with the Soll model too",
        NoteCode.END_ACTIVITIES_UNKNOWN: "end activities unknown: open cases are compared with "
                                         "the Soll model too, their missing final steps count "
                                         "as skipped",
        NoteCode.OPEN_CASES_NOT_COMPARED: "{count:int} open cases (without {ends:names}) were "
                                          "not compared with the Soll model; the rules check "
                                          "them",
        NoteCode.REFERENCE_MODEL: "{cases:int} cases started {first:date} – {last:date}",
        NoteCode.SOLL_DISCOVERED: "the Soll model was discovered: {model:note}",
        NoteCode.END_ACTIVITIES_MISSING: "none of the end activities ({ends:names}) occurs in "
                                         "{file}: every case counts as open",
        NoteCode.ONLY_DEADLINE_RULES: "only deadline rules are compared; order/exists/absent "
                                      "rules are checked by 'conformance'",
        NoteCode.SEGMENTED_NEEDS_CHANGE: "the segmented regression needs a change date; it was "
                                         "skipped",
        NoteCode.CLOSED_BY_IDLE_TIME: "no end activities given: a case counts as closed at its "
                                      "last event when nothing happened in the {days:int} days "
                                      "before the export date (95th percentile of the gaps "
                                      "between events); give --end-activity for exact figures",
        NoteCode.OPEN_SHARE_HIGH: "{share:pct0} of the {group:group} cases are still open at "
                                  "the export date: their durations are censored and the median "
                                  "rests on the cases closed so far; wait for more closings "
                                  "before drawing conclusions",
        NoteCode.DURATION_TOO_FEW_CLOSED: "too few closed cases for a verdict on case duration "
                                          "(at least {min_n:int} closed cases per group are "
                                          "needed)",
        NoteCode.MEDIAN_NOT_REACHED: "the median case duration is not reached in a group "
                                     "(fewer than half of its cases are closed); compare the "
                                     "restricted mean (RMST) instead",
        NoteCode.AFTER_PERIOD_SHORT: "only {weeks:int} weeks after the change: effects on long "
                                     "procedures cannot be seen yet",
        NoteCode.ARRIVALS_CHANGED: "the number of new cases per week changed by "
                                   "{change:signed_pct0}: a different workload can explain "
                                   "changes in waits and durations as well as the change itself",
        NoteCode.WORKLOAD_CHANGED: "the workload (new cases per week in the {weeks:int} weeks "
                                   "before each case's start) changed by {change:signed_pct0} "
                                   "between the groups: differences in durations, waits and "
                                   "rework that point the way this workload change predicts "
                                   "cannot be attributed to the process change",
        NoteCode.WORKLOAD_CONFOUNDED: "the workload (new cases per week in the {weeks:int} weeks "
                                      "before each case's start) changed by "
                                      "{change:signed_pct0} between the groups: differences in "
                                      "durations, waits and rework that point the way this "
                                      "workload change predicts cannot be attributed to the "
                                      "process change ({count:int} figures marked “cannot be "
                                      "attributed”: {kpis:kpis})",
        NoteCode.CASE_MIX_SHIFTED: "the case mix ({attribute}) differs between the groups "
                                   "(chi-square test, {p:p}): part of the differences may come "
                                   "from it; see the case mix table",
        NoteCode.PLACEBO_SIGNIFICANT: "{count:int} of {total:int} placebo tests at dates without "
                                      "a change are significant: the data have trends or "
                                      "seasons that the comparison cannot separate from an "
                                      "effect",
        NoteCode.SHIFTED_DATE_CLEARER: "with the change date moved by ±{weeks:int} weeks the "
                                       "case-duration difference is as clear or clearer: the "
                                       "change may have started at another time, or the "
                                       "difference is a trend",
        NoteCode.PLACEBO_PERIOD_TOO_SHORT: "the before period is too short for placebo checks "
                                           "(needs {weeks:int} weeks)",
        NoteCode.GROUPS_COMPARED: "{before:group} → {after:group}",
    },
}


def check_lang(lang: str) -> str:
    """Return ``lang`` if the report can be written in it."""
    if lang not in LANGS:
        raise ConfigError(f"unknown report language {lang!r}", hint="use de or en")
    return lang


def _missing(x: Any) -> bool:
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class Texts:
    """The texts and formats of one language; templates call it as ``t(key, **values)``."""

    lang: str = "de"

    @property
    def locale(self) -> str:
        return LOCALES[self.lang]

    def __call__(self, key: str, **values: Any) -> str:
        text = CATALOGUES[self.lang].get(key)
        if text is None:
            text = CATALOGUES["en"][key]  # a missing German text is a bug; show English
        return text.format(**values) if values else text

    def finding(self, code: str, message: str, count: int) -> str:
        """A data-quality finding in the report's language (the message as written if the
        code is not in the catalogue)."""
        text = FINDINGS.get(self.lang, {}).get(code)
        return text.format(count=self.int(count)) if text else message

    def note(self, note: str) -> str:
        """A note of the analyses in the report's language.

        A :class:`~ist_analyse.notes.Note` gets the catalogue's sentence for its code, filled
        with its raw values in this language's formats. A plain string (a comparison read back
        from JSON, an analysis without codes) is shown as written, and the German report says
        that it is English rather than passing it off as a translation.
        """
        if isinstance(note, Note):
            text = NOTES[self.lang].get(note.code)
            if text is not None:
                return _NoteFormatter(self).format(text, **note.values)
        return self("meth.note_untranslated", text=str(note))

    def quote(self, name: Any) -> str:
        """A name in this language's quotation marks: „Antrag“ (de) / “Antrag” (en)."""
        return f"„{name}“" if self.lang == "de" else f"“{name}”"

    # ---- numbers ------------------------------------------------------------------------
    def int(self, n: Any) -> str:
        """``1234`` -> ``1.234`` (de) / ``1,234`` (en); suppressed -> ``·``."""
        if _missing(n):
            return MARK
        return format_decimal(round(float(n)), format="#,##0", locale=self.locale)

    def num(self, x: Any, digits: int = 1) -> str:
        """A number with ``digits`` decimals: ``12,5`` (de) / ``12.5`` (en)."""
        if _missing(x):
            return MARK
        if isinstance(x, float) and math.isinf(x):
            return NOT_APPLICABLE
        pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
        return format_decimal(float(x), format=pattern, locale=self.locale)

    def signed(self, x: Any, digits: int = 1) -> str:
        """A difference with its sign: ``+3,5`` / ``−3,5`` (typographic minus)."""
        return _with_sign(x, lambda v: self.num(v, digits))

    def pct(self, share: Any, digits: int = 1) -> str:
        """A share (0..1) as percent: ``12,5 %`` (de) / ``12.5%`` (en)."""
        if _missing(share):
            return MARK
        # German puts a (no-break) space before the percent sign, English does not
        sign = "\u00a0%" if self.lang == "de" else "%"
        pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "") + sign
        return format_percent(float(share), format=pattern, locale=self.locale)

    def signed_pct(self, share: Any, digits: int = 1) -> str:
        """A change (0.27 = 27 %) with its sign: ``+27,0 %`` / ``−39,0 %``."""
        return _with_sign(share, lambda v: self.pct(v, digits))

    def p(self, value: Any) -> str:
        """A p value: three decimals, "< 0,001" below that."""
        if _missing(value):
            return NOT_APPLICABLE
        if float(value) < 0.001:
            return "< " + self.num(0.001, 3)
        return self.num(value, 3)

    # ---- dates --------------------------------------------------------------------------
    def date(self, value: Any, long: bool = False) -> str:
        """``03.07.2025`` (de) / ``2025-07-03`` (en); ``long``: ``3. Juli 2025`` /
        ``3 July 2025``."""
        if _missing(value) or value == "":
            return NOT_APPLICABLE
        d = _as_date(value)
        if long:
            return format_date(d, format="long", locale=self.locale)
        if self.lang == "de":
            return format_date(d, format="dd.MM.yyyy", locale=self.locale)
        return d.isoformat()

    def duration(self, days: Any, unit: str | None = None, digits: int | None = None) -> str:
        """A duration given in days, in ``unit`` (chosen by :func:`duration_unit` when
        ``None``) with the unit word: ``45 Minuten``, ``5,5 Stunden``, ``12 Tage``."""
        unit = unit or duration_unit([days])[0]
        value = scaled(days, PER_DAY[unit])
        if digits is None:
            digits = 0 if unit == "minutes" or (not _missing(value) and abs(value) >= 10) else 1
        return f"{self.num(value, digits)} {self(f'unit.{unit}')}"

    def yesno(self, value: Any) -> str:
        if value is None:
            return NOT_APPLICABLE
        return self("yes") if value else self("no")


class _NoteFormatter(string.Formatter):
    """Fills a :data:`NOTES` sentence: the placeholder's format names the :class:`Texts`
    method for the raw value, so the catalogue, not the analysis, decides how a figure reads
    (``{count:int}`` is 1.234 in German and 1,234 in English)."""

    def __init__(self, texts: Texts) -> None:
        self.texts = texts

    def format_field(self, value: Any, format_spec: str) -> str:
        t = self.texts
        if format_spec == "":
            return str(value)
        if format_spec == "int":
            return t.int(value)
        if format_spec == "num":  # 10 s, 2,5 s
            return t.num(value, 0 if float(value).is_integer() else 1)
        if format_spec == "pct":
            return t.pct(value)
        if format_spec == "pct0":  # 41 %
            return t.pct(value, 0)
        if format_spec == "signed_pct0":  # +27 %, −39 %
            return t.signed_pct(value, 0)
        if format_spec == "p":  # "p = 0,012" or "p < 0,001"
            text = t.p(value)
            return "p " + text if text.startswith("<") else "p = " + text
        if format_spec == "group":  # the comparison's groups: before/after in this language
            return t(f"cmp.{value}") if value in ("before", "after") else str(value)
        if format_spec == "kpis":  # at most five KPI names, as the report names them
            names = [kpi_label(t, str(n)) for n in value]
            return ", ".join(names[:5]) + (", …" if len(names) > 5 else "")
        if format_spec == "date":
            return t.date(value)
        if format_spec == "names":
            return ", ".join(t.quote(v) for v in value)
        if format_spec == "counts":
            return ", ".join(f"{t.int(n)} {t.quote(k)}" for k, n in value.items())
        if format_spec == "note":
            return t.note(value)
        raise ValueError(f"unknown format {format_spec!r} in a note text")


def _with_sign(x: Any, fmt: Callable[[float], str]) -> str:
    """``fmt`` of ``|x|`` behind its sign (+, typographic −, ± for zero); missing -> ``·``."""
    if _missing(x):
        return MARK
    v = float(x)
    return ("+" if v > 0 else "−" if v < 0 else "±") + fmt(abs(v))


def _as_date(value: Any) -> dt.date:
    """A date from a ``date``, ``datetime``, pandas Timestamp or ISO text, in local time."""
    if isinstance(value, dt.datetime):
        ts = pd.Timestamp(value)
    elif isinstance(value, dt.date):
        return value
    else:
        ts = pd.Timestamp(str(value))
    if ts.tzinfo is not None:
        ts = ts.tz_convert("Europe/Berlin")
    return ts.date()


def kpi_label(texts: Texts, name: str) -> str:
    """The reader's name of a KPI of :mod:`ist_analyse.compare` (``wait:A->B`` etc.)."""
    simple = {"case_duration", "rework_rate", "arrivals_per_week", "completions_per_week"}
    if name in simple:
        return texts(f"kpi.{name}")
    prefix, _, rest = name.partition(":")
    if prefix in ("rework", "proc", "deadline") and rest:
        return texts(f"kpi.{prefix}", x=rest)
    if prefix == "wait" and rest:
        a, _, b = rest.partition("->")
        return texts("kpi.wait", x=f"{texts.quote(a)} → {texts.quote(b)}")
    return name


def unit_label(texts: Texts, unit: str | None) -> str:
    return (texts(f"unit.{unit}") if unit in ("days", "hours", "minutes", "share", "per_week")
            else (unit or ""))


#: duration units: how many of each make a day (analyses compute durations in days)
PER_DAY = {"minutes": 1440.0, "hours": 24.0, "days": 1.0}


def duration_unit(days: Any) -> tuple[str, float]:
    """One unit for all durations of one table, chart or sentence, and its factor from days.

    Chosen by the typical size of the values (the median of those above zero, so a column of
    zero waits does not pull a log of hours down to minutes): minutes below two hours, hours
    below two days, days otherwise. "Median 0 Tage" for cases that last 40 minutes, or "0, 0,
    0" on every tick of a chart, are what one fixed unit gives.
    """
    vals = pd.to_numeric(pd.Series(days, dtype=object).explode(), errors="coerce")
    vals = vals[vals.notna() & (vals.abs() > 0) & vals.abs().lt(math.inf)].abs()
    typical = float(vals.median()) if len(vals) else 2.0  # nothing to measure: days
    if typical < 2 / 24:
        return "minutes", PER_DAY["minutes"]
    if typical < 2:
        return "hours", PER_DAY["hours"]
    return "days", PER_DAY["days"]


def readable_unit(k: Mapping[str, Any]) -> tuple[str | None, float]:
    """The unit a KPI row is shown in, and the factor from its own unit: a wait of minutes
    reads "3,0 Minuten", not "0,0 Tage"."""
    unit = k.get("unit")
    if unit != "days":
        return unit, 1.0
    values = [abs(float(v)) for v in (k.get("before"), k.get("after")) if not _missing(v)]
    if not values or max(values) >= 1:
        return unit, 1.0
    return ("hours", 24.0) if max(values) >= 1 / 24 else ("minutes", 1440.0)


def scaled(value: Any, factor: float) -> Any:
    return value if _missing(value) or factor == 1.0 else float(value) * factor


def value_text(texts: Texts, value: Any, unit: str | None, signed: bool = False) -> str:
    """A KPI value in its unit: shares as percent (points for differences), else one decimal."""
    if unit == "share":
        if signed and not _missing(value):
            pts = texts.signed(100 * float(value), 1)
            return pts + (" Pp." if texts.lang == "de" else " pp")
        return texts.pct(value)
    return texts.signed(value) if signed else texts.num(value)


def mapping_get(d: Mapping[str, Any] | None, *keys: str, default: Any = None) -> Any:
    """``d[k1][k2]...`` or ``default`` when any level is missing."""
    cur: Any = d
    for k in keys:
        if not isinstance(cur, Mapping) or k not in cur:
            return default
        cur = cur[k]
    return cur
