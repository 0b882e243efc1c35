"""Bulk issuance (issue 15): a CSV file (or JSON rows) becomes a batch; a dry run says, row by row, what will be
issued or why not; starting the batch issues its pending rows through the one issuing pipeline, in chunks, exactly
once per row (docs/bulk-issuance.md).

- `csvfile`: reading the file (encodings, separators, limits, columns) and writing CSV safely (formula cells);
- `plan`: the dry run, one row at a time, through the pipeline's own gates and validators;
- `services`: create a batch, start, cancel, read it, its results CSV; `run`: the long part (`run_batch`,
  `run_chunk`), which a background job calls.
"""
