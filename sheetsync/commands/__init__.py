"""The commands, one module per family, as library functions: config + ports +
domain -> result data (rendering it as text or JSON is the CLI's job).

- ``workbook``: what they share: one read of the pages, a write planned again when
  a person edits meanwhile, the pieces of a page every command lays out alike;
- ``cycle``: ``init``, ``rollover``, ``refresh``;
- ``status``: ``status`` and ``check``;
- ``mail``: ``recap`` and ``agenda``;
- ``import_deals`` and ``import_stages``: ``import`` of a CRM's deals and of its
  dated changes of stage;
- ``report``; ``demo``;
- ``team_tab``: the Team tab and the signals' inputs (History as a frame, the
  stage log), the one place besides ``report`` that hands work to pandas.
"""
