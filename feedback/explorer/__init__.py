"""The answers explorer: members filter and page through the answers behind the numbers
(``selectors`` reads them, ``forms`` reads the filters from the query string); exporters
download the same answers as CSV."""
