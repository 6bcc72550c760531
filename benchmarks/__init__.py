"""Benchmarks of Quartiers 2030, outside the product package: `python -m benchmarks`.

- `python -m benchmarks` (`benchmarks.run`): national-scale timings of every read model and
  page on SQLite and PostgreSQL, beside their SQL floors (the README's Performance tables);
- `python -m benchmarks.coverage [AU]`: the coverage read models on the database of
  Q2030_DATABASE_URL;
- `python -m benchmarks.priorities`: what each change of filter costs the Priorités page;
- `python -m benchmarks.codage [--textes N]`: the coding queue's response time per text;
- `python -m benchmarks.charge_nationale`: N concurrent browser sessions on Vue nationale,
  the server's CPU seconds per page view;
- `python -m benchmarks.import_excel`: the Excel import's CPU time per row (rolled back).
"""
