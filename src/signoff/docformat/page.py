"""`render_page`: the document as a complete HTML page, styled and printable on its own.

The `<article>` of `render_html` inside a page whose style is inline: a saved or mailed
export must look the same offline, and nothing it shows may be fetched from elsewhere
(no fonts, scripts or stylesheets from any server). The fragment stays as it was, for
pages that embed a document in their own layout.
"""

from __future__ import annotations

import html

from signoff.docformat.headings import title_heading
from signoff.docformat.html import render_html
from signoff.docformat.model import ParsedDocument

STYLE = """
:root { color-scheme: light; }
body { margin: 0; background: #f6f7f9; color: #1d2330;
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif; }
.signoff-document { max-width: 52rem; margin: 2rem auto; padding: 2.5rem 3rem;
  background: #fff; border: 1px solid #dde1e7; border-radius: 6px; }
h1 { font-size: 1.9rem; line-height: 1.25; margin: 0 0 1rem; }
h2, h3, h4, h5, h6 { line-height: 1.3; margin: 2rem 0 0.6rem; }
h2 { font-size: 1.45rem; border-bottom: 1px solid #e4e7ec; padding-bottom: 0.3rem; }
h3 { font-size: 1.2rem; }
a { color: #1f5fbf; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; font-size: 0.92rem; }
th, td { border: 1px solid #d3d8df; padding: 0.4rem 0.6rem; vertical-align: top; text-align: left; }
th { background: #eef1f5; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace;
  font-size: 0.9em; }
pre { background: #f3f5f8; padding: 0.8rem 1rem; overflow-x: auto; border-radius: 4px; }
blockquote { margin: 1rem 0; padding: 0 1rem; color: #4a5468; border-left: 3px solid #d3d8df; }
nav.toc { margin: 1.5rem 0 2rem; padding: 1rem 1.5rem; background: #f8f9fb;
  border: 1px solid #e4e7ec; border-radius: 4px; font-size: 0.95rem; }
nav.toc ul { margin: 0.2rem 0; padding-left: 1.2rem; }
@media print {
  @page { margin: 18mm 16mm; }
  body { background: #fff; font-size: 11pt; }
  .signoff-document { max-width: none; margin: 0; padding: 0; border: 0; }
  a { color: inherit; text-decoration: none; }
  h1, h2, h3, h4 { break-after: avoid; }
  table, pre, blockquote, tr { break-inside: avoid; }
  nav.toc { break-after: page; }
}
"""


def render_page(doc: ParsedDocument) -> str:
    """A complete, self-contained HTML page of the document (style inline, nothing loaded)."""
    title = html.escape(title_heading(doc.control.title))
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"{render_html(doc)}</body>\n</html>\n"
    )
