"""Excel exchanges: offline entry template, its import, and the synthèse workbooks.

Service layer (no streamlit): `template.build_template`, `importer.import_workbook`,
`exports.export_departement` / `exports.export_national`.
"""
