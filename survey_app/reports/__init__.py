"""Benchmark reports: charts (matplotlib SVG), the PDF (WeasyPrint), CSV and XLSX tables,
and the ``flask reports build`` command. Everything here renders published results
handed over by ``survey_app.results``; nothing here calculates."""
