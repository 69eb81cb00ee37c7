"""Importing and exporting what people already have.

Each format module reads a file into :class:`~.rows.Parsed`: the rows it
understood, each with its line number, and the bad rows with theirs. Nothing
here writes: :mod:`.apply` runs the rows against an engine as one transaction
(a file with a bad row changes nothing) and :mod:`.native_json` and
:mod:`.mastodon` write exports.

- :mod:`.mastodon`: Mastodon's CSV exports of blocked and muted accounts and
  blocked domains;
- :mod:`.vcard`: contacts as vCard (``.vcf``);
- :mod:`.numbers`: a plain list of phone numbers, in any human spelling;
- :mod:`.native_json`: nocontact's own format, which keeps everything.
"""

from .rows import FORMATS, MAX_IMPORT_BYTES, MAX_IMPORT_ROWS

__all__ = ["FORMATS", "MAX_IMPORT_BYTES", "MAX_IMPORT_ROWS"]
