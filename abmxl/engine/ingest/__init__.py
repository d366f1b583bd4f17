"""CRM data as it comes: find headers, map columns, parse values (shared/spec/ingest.md).

One module per job, used by the cleaning step (``engine.clean``) and by the
required-input check every door runs (``engine.required``):

- ``synonyms``: the export headers of Salesforce, HubSpot, Dynamics 365,
  Pipedrive, Marketo, Bombora and the Maven CRM data set, as data;
- ``headers``: header matching and header-row detection;
- ``maps``: the ColumnMap and ValueMap tables;
- ``cells``: cell kinds, text columns; ``numbers``, ``dates``, ``words``:
  values as CRMs write them.
"""
