"""Rencontres: the single write path (form, Excel import, CLI, platforms' events) and the reads.

The input is a `SaisieRencontre`: the Rencontre column names (q2030.models) plus `qpv_codes`
(QPV codes, perimeter "quartier"), with values typed (date, time, int) or text as typed in a
spreadsheet (31/07/2023, 18h30, "Centre social"). `validate_rencontre` cleans them all,
reports every error at once, and returns a `RencontreValidee` that the writes take.

The package, by reason to change (import from the module; nothing is re-exported here):
- `saisie`: the input and its result: field labels and groups, `SaisieRencontre`,
  `saisie_brute`, `RencontreValidee`;
- `controle`: the rules of a valid rencontre, `validate_rencontre` (and `Referentiel`, what
  validating many rows reads once);
- `perimetre`: what a perimeter (quartiers, commune, EPCI) covers, checked against the
  référent's département and the campaign's geography;
- `doublons`: the probable duplicate (same QPV, same date) and its French refusal;
- `acces`: a rencontre as the access rule sees it, finding it, who reads it;
- `verrous`: the per-département lock, the rencontre's write lock and its version
  (compare-and-set through `q2030.versioning`, conflict sentence);
- `ecriture`: create, update, cancel, delete one rencontre (QPV links, audit, submission of
  an organiser's write to the référent);
- `creation_groupee`: the Excel import's bulk creation, one INSERT per table;
- `lecture`: one rencontre for the form, the département's list, the form's perimeter options;
- `avertissements`: what a saved rencontre still asks of its author.
"""
