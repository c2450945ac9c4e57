"""One module per area of the UI, each with its ``router`` (included by ``web.assembly``)."""
