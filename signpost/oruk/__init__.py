"""Open Referral UK (HSDS-UK 3.0): serialisation, import and export of the directory.

- :mod:`signpost.oruk.taxonomy`: Signpost's vocabularies as ORUK taxonomies with stable ids.
- :mod:`signpost.oruk.serialise`: ORM objects to ORUK dicts (empty optional fields omitted).
- :mod:`signpost.oruk.export`: every published service as a list of full ORUK records.
- :mod:`signpost.oruk.importer`: validate and upsert ORUK records in one transaction.
- :mod:`signpost.oruk.feed`: read a file, or walk a paged ORUK API, record by record.
- :mod:`signpost.oruk.csv_io`: a spreadsheet template and CSV import for charities.
"""
