"""The analytical survey (`oerhub report survey`): figures.py queries the catalogue,
messages.py holds the words per language, charts.py draws SVG, fonts.py embeds fonts, and
build.py writes the HTML page, the PDF and one CSV per figure."""
