"""Docs-as-code from the command line: lint a Markdown file offline, push it to a Signoff
server, pull a document back. ``signoff lint`` needs no server and exits non-zero on
findings at the chosen severity, so a CI job can gate on it; ``push`` and ``pull`` talk to
the REST API with a token (an API key in CI) from ``SIGNOFF_TOKEN``."""

from __future__ import annotations

import difflib
import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

# The parser, the templates and the HTTP client are imported by the commands that use them:
# `signoff --help` imports this module, and they took seconds to load on a busy machine.
if TYPE_CHECKING:
    import httpx

    from signoff.docformat import DocumentControl, LintReport, Template


class FailOn(StrEnum):
    """The severities of docformat's findings (``Severity``), without importing it here."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


RANK = {FailOn.INFO: 0, FailOn.WARNING: 1, FailOn.ERROR: 2}
TIMEOUT_S = 30
DEFAULT_TEMPLATE = "backend-server"  # templates.service.BUILTIN_SLUG (tests keep them equal)
Server = Annotated[
    str,
    typer.Option(envvar="SIGNOFF_URL", help="The Signoff server [SIGNOFF_URL]."),
]
Token = Annotated[
    str,
    typer.Option(
        envvar="SIGNOFF_TOKEN",
        help="An API key or access token [SIGNOFF_TOKEN].",
        show_default=False,
    ),
]
Org = Annotated[str, typer.Option(envvar="SIGNOFF_ORG", help="Organization slug [SIGNOFF_ORG].")]
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


class Output(StrEnum):
    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"
    GITHUB = "github"


def _template(name: str, remote: Remote | None = None) -> Template:
    """A built-in template by name, a template file, or an organization's template on the
    server (`org:<slug>[@<version>]`), fetched once and kept (see ``_org_template``)."""
    from signoff.docformat import parse_template
    from signoff.templates.service import builtin

    if name.startswith("org:"):
        if remote is None:
            raise LookupError(f"{name} is an organization's template: give --server and --org.")
        return parse_template(_org_template(name.removeprefix("org:"), remote))
    path = Path(name)
    if path.suffix.lower() in {".md", ".markdown"} or path.is_file():
        return parse_template(path.read_text("utf-8"))
    return builtin(name).parsed


@dataclass(frozen=True)
class Remote:
    """Where an organization's templates come from, and where their copies are kept."""

    server: str
    token: str
    org: str
    cache: Path

    def folder(self) -> Path:
        host = re.sub(r"[^A-Za-z0-9.-]+", "_", self.server.split("://", 1)[-1].strip("/"))
        return self.cache / "templates" / host / self.org


def _cache_root() -> Path:
    explicit = os.environ.get("SIGNOFF_CACHE_DIR")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "signoff"


def _org_template(ref: str, remote: Remote) -> str:
    """The Markdown of an organization's template. A pinned version (`kep@3`) never changes,
    so once kept it is read from disk and the server is not asked again. The latest (`kep`)
    is asked for; when the server cannot be reached, the newest kept version is used and
    stderr says so, so that lint works offline once the template has been fetched."""
    import httpx

    slug, _, pinned = ref.partition("@")
    if not _SLUG.fullmatch(slug) or (pinned and not pinned.isdigit()):
        raise LookupError(f"org:{ref} is not a template reference (org:<slug> or org:<slug>@<n>).")
    folder = remote.folder()
    if pinned and (folder / f"{slug}@{int(pinned)}.md").is_file():
        return (folder / f"{slug}@{int(pinned)}.md").read_text("utf-8")
    params = {"version": str(int(pinned))} if pinned else {}
    try:
        with _client(remote.server, remote.token, on_unreachable="raise") as client:
            response = client.get(f"/v1/orgs/{remote.org}/templates/{slug}", params=params)
    except httpx.TransportError as exc:
        kept = sorted(folder.glob(f"{slug}@*.md"), key=_kept_version)
        if pinned or not kept:
            raise LookupError(
                f"org:{ref} is not kept in {folder} and {_unreachable(remote.server, exc)}"
            ) from exc
        typer.echo(
            f"{remote.server} cannot be reached: linting against the kept {kept[-1].name}.",
            err=True,
        )
        return kept[-1].read_text("utf-8")
    if response.status_code != 200:
        raise LookupError(f"org:{ref}: {_problem_line(response)}")
    body = response.json()
    markdown = str(body["markdown"])
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{slug}@{int(body['version'])}.md"
    partial = target.with_suffix(".part")
    partial.write_text(markdown, "utf-8")
    partial.replace(target)  # a reader never sees half a file
    return markdown


def _kept_version(path: Path) -> int:
    return int(path.stem.rpartition("@")[2] or 0)


def lint_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    template: Annotated[
        str,
        typer.Option(
            help="A built-in template's name, a template file (Markdown), or an organization's "
            "template on the server, `org:<slug>[@<version>]`: fetched once and kept in "
            "SIGNOFF_CACHE_DIR (default ~/.cache/signoff), then used offline."
        ),
    ] = DEFAULT_TEMPLATE,
    fail_on: Annotated[
        FailOn, typer.Option(help="The least severity that makes the exit code 1.")
    ] = FailOn.ERROR,
    output: Annotated[
        Output,
        typer.Option(
            "--format",
            help="text, json, sarif (code scanning) or github (workflow annotations).",
        ),
    ] = Output.TEXT,
    title: Annotated[
        str | None,
        typer.Option(help="The title, for a document with none (an RFC-style one)."),
    ] = None,
    server: Server = "http://127.0.0.1:8000",
    token: Token = "",
    org: Org = "",
) -> None:
    """Lint a Markdown design document against a template, offline. Exit 0: nothing at or
    above --fail-on; 1: findings that are; 2: the file cannot be read as a document, or
    has no title (`missing_title`, as the server refuses it)."""
    from datetime import UTC, datetime

    from signoff.docformat import DocFormatError, lint, parse_document, require_title

    try:
        remote = Remote(server, token, org, _cache_root()) if org else None
        loaded = _template(template, remote)
        parsed = require_title(parse_document(file.read_text("utf-8"), loaded, title=title))
    except DocFormatError as exc:
        # The code the server's 422 carries for the same file (`missing_title`, ...).
        typer.echo(f"{file}: {exc.code}: {exc}", err=True)
        raise typer.Exit(2) from exc
    except UnicodeDecodeError as exc:
        typer.echo(f"{file}: {exc}", err=True)
        raise typer.Exit(2) from exc
    except typer.Exit:
        raise
    except Exception as exc:  # an unknown template
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    report = lint(parsed, loaded, today=datetime.now(UTC).date())
    _print_report(file, report, output)
    failing = [f for f in report.findings if RANK[FailOn(f.severity.value)] >= RANK[fail_on]]
    raise typer.Exit(1 if failing else 0)


def infer_template_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    out: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write here, not to stdout.")
    ] = None,
) -> None:
    """Infer a template from a design document's outline, offline: its headings, tables and
    their columns, Document Control labels, and the sections and blocks that repeat. Register
    it with `POST /v1/orgs/{org}/templates`, or lint with `signoff lint --template`."""
    from signoff.docformat import DocFormatError, infer_template

    try:
        markdown = infer_template(file.read_text("utf-8"))
    except (DocFormatError, UnicodeDecodeError) as exc:
        typer.echo(f"{file}: {exc}", err=True)
        raise typer.Exit(2) from exc
    if out is None:
        typer.echo(markdown, nl=False)
    else:
        out.write_text(markdown, "utf-8")


def _print_report(file: Path, report: LintReport, output: Output) -> None:
    if output in (Output.SARIF, Output.GITHUB):
        from signoff import __version__
        from signoff.docformat.lint.model import DEFAULT_SEVERITIES
        from signoff.exchange.sarif import LintFinding, to_github, to_sarif

        found = [
            LintFinding(f.rule, f.severity.value, f.message, f.line, f.section)
            for f in report.findings
        ]
        if output is Output.SARIF:
            rules = {rule: severity.value for rule, severity in DEFAULT_SEVERITIES.items()}
            typer.echo(to_sarif(file.as_posix(), found, rules, __version__))
        else:
            typer.echo(to_github(file.as_posix(), found))
        return
    if output is Output.JSON:
        findings = [
            {
                "rule": f.rule,
                "severity": f.severity.value,
                "section": f.section,
                "line": f.line,
                "message": f.message,
            }
            for f in report.findings
        ]
        typer.echo(json.dumps({"score": report.score, "findings": findings}, indent=2))
        return
    for f in report.findings:
        where = f"{file}:{f.line}" if f.line else str(file)
        section = f" §{f.section}" if f.section else ""
        typer.echo(f"{where}: {f.severity.value} {f.rule}{section}: {f.message}")
    typer.echo(
        f"{file}: completeness {report.score}% "
        f"({report.sections_complete} of {report.sections_scored} sections), "
        f"{len(report.findings)} finding(s)"
    )


@contextmanager
def _client(server: str, token: str, on_unreachable: str = "exit") -> Iterator[httpx.Client]:
    """A client of the server; when the server cannot be reached, one line that says what
    was tried and what to check, and exit 2 (not the transport's traceback), or, with
    ``on_unreachable="raise"``, the transport error for the caller to handle."""
    import httpx

    if not token:
        typer.echo("A token is needed: set SIGNOFF_TOKEN (an API key) or pass --token.", err=True)
        raise typer.Exit(2)
    client = httpx.Client(
        base_url=server.rstrip("/"),
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT_S,
    )
    try:
        with client:
            yield client
    except httpx.TransportError as exc:
        if on_unreachable == "raise":
            raise
        typer.echo(_unreachable(server, exc), err=True)
        raise typer.Exit(2) from exc


def _unreachable(server: str, exc: Exception) -> str:
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        why = f"no answer within {TIMEOUT_S} s"
    else:
        why = str(exc) or type(exc).__name__
    return (
        f"Cannot reach the Signoff server at {server} (--server, SIGNOFF_URL): {why}. "
        "Check that the server runs (`signoff serve`), and the URL's host and port."
    )


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        problem: dict[str, Any] = response.json()
    except ValueError:
        problem = {"detail": response.text[:500]}
    return problem


def _problem_line(response: httpx.Response) -> str:
    problem = _problem(response)
    return f"{response.status_code} {problem.get('code', '')}: {problem.get('detail', '')}"


def _fail(response: httpx.Response) -> None:
    """Print the problem (RFC 9457) the server answered and exit 1."""
    problem = _problem(response)
    typer.echo(_problem_line(response), err=True)
    for error in problem.get("errors") or []:
        where = [f"{k} {error[k]}" for k in ("line", "row", "path") if error.get(k)]
        where = where or [str(error.get("pointer") or "")]
        typer.echo(f"  {', '.join(where)}: {error.get('detail')}", err=True)
    raise typer.Exit(1)


def push(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    org: Org,
    doc: Annotated[
        str | None,
        typer.Option(help="The document to replace (else the file's `key`, else a new one)."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace the head even if it is not the revision the file was pulled at "
            "(prints what that overwrites).",
        ),
    ] = False,
    server: Server = "http://127.0.0.1:8000",
    token: Token = "",
    template: Annotated[
        str | None,
        typer.Option(help="A new document's template (`org:rfc`); else the file's `template`."),
    ] = None,
    title: Annotated[
        str | None,
        typer.Option(
            help="A new document's title, when the file has none (an RFC-style document); "
            "written into its front matter."
        ),
    ] = None,
) -> None:
    """Push a Markdown file: a new revision of its document, or a new document. The file's
    `revision` (written by `pull` and by every push) must still be the head, unless --force;
    the new key and revision are written back into the file's front matter."""
    from signoff.docformat.frontmatter import set_front_matter_fields

    text = file.read_text("utf-8")
    control = _front_matter(text)
    key = doc or control.key
    markdown = {"Content-Type": "text/markdown"}
    named = {k: v for k, v in {"template": template, "title": title}.items() if v}
    with _client(server, token) as client:
        base = f"/v1/orgs/{org}/documents"
        if key is None:
            response = client.post(base, content=text.encode(), headers=markdown, params=named)
        else:
            pulled_at = control.revision if key == control.key else None
            etag = _precondition(client, f"{base}/{key}", pulled_at, force=force)
            response = client.put(
                f"{base}/{key}", content=text.encode(), headers=markdown | {"If-Match": etag}
            )
            if response.status_code == 412:
                _refuse_stale(client, f"{base}/{key}", file, pulled_at)
        if response.status_code not in (200, 201):
            _fail(response)
    body = response.json()
    # The title too, when given: the next push of the file must carry it.
    fields = {"key": body["key"], "revision": str(body["revision"])}
    file.write_text(
        set_front_matter_fields(text, fields | ({"title": body["title"]} if title else {})),
        "utf-8",
    )
    typer.echo(f"{body['key']} {body['version']} ({body['status']}), revision {body['revision']}")
    for warning in body.get("warnings", []):
        typer.echo(f"warning: {warning}", err=True)


def _precondition(client: httpx.Client, url: str, pulled_at: str | None, *, force: bool) -> str:
    """The If-Match of the push: the ETag of the revision the file was pulled at (which is
    the head's only while nobody else has changed the document), or the head's with --force.
    Reading the head's ETag just before the PUT would make every push win."""
    head = client.get(url, headers={"Accept": "text/markdown"})
    if head.status_code != 200:
        _fail(head)
    if force:
        if pulled_at is not None and pulled_at != str(_head_revision(head)):
            typer.echo(f"--force: replacing revision {_head_revision(head)}:", err=True)
            _print_changes(client, url, pulled_at)
        return head.headers["etag"]
    if pulled_at is None:
        typer.echo(
            "The file names no `revision` it was pulled at, so the push could overwrite "
            f"changes made on the server. Pull it first (signoff pull {url.rsplit('/', 1)[1]} "
            "-o FILE) and make the edit there, or push with --force to replace the head.",
            err=True,
        )
        raise typer.Exit(1)
    pulled = client.get(url, params={"revision": pulled_at}, headers={"Accept": "text/markdown"})
    if pulled.status_code != 200:
        _fail(pulled)
    return pulled.headers["etag"]


def _head_revision(response: httpx.Response) -> str | None:
    return _front_matter(response.text).revision


def _refuse_stale(client: httpx.Client, url: str, file: Path, pulled_at: str | None) -> None:
    typer.echo(
        f"412: the document changed on the server since revision {pulled_at}, which {file} "
        "was pulled at; nothing was pushed. What changed since:",
        err=True,
    )
    _print_changes(client, url, pulled_at)
    typer.echo(
        f"Pull the document again (signoff pull {url.rsplit('/', 1)[1]} -o OTHER.md), carry "
        "your edit over, and push that; or push with --force to overwrite these changes.",
        err=True,
    )
    raise typer.Exit(1)


def _print_changes(client: httpx.Client, url: str, since: str | None) -> None:
    """A unified diff of the document's Markdown from the revision the file was pulled at to
    the head: what a push over it would overwrite."""
    markdown = {"Accept": "text/markdown"}
    head = client.get(url, headers=markdown)
    then = client.get(url, params={"revision": since}, headers=markdown)
    for response in (head, then):
        if response.status_code != 200:
            _fail(response)
    lines = difflib.unified_diff(
        then.text.splitlines(keepends=True),
        head.text.splitlines(keepends=True),
        f"revision {since}",
        f"revision {_head_revision(head)} (the head)",
        n=1,
    )
    for line in lines:
        typer.echo("    " + line.rstrip("\n"), err=True)


def pull(
    doc: Annotated[str, typer.Argument(help="`DD-3`")],
    org: Org,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here (else standard output).")
    ] = None,
    version: Annotated[str | None, typer.Option(help="`1.0`: an approved version.")] = None,
    server: Server = "http://127.0.0.1:8000",
    token: Token = "",
) -> None:
    """Pull a document as Markdown (its head, or a version)."""
    params = {"version": version} if version else {}
    with _client(server, token) as client:
        response = client.get(
            f"/v1/orgs/{org}/documents/{doc}", params=params, headers={"Accept": "text/markdown"}
        )
    if response.status_code != 200:
        _fail(response)
    if output is None:
        sys.stdout.write(response.text)
    else:
        output.write_text(response.text, "utf-8")
        typer.echo(f"{doc} -> {output}", err=True)


def _front_matter(text: str) -> DocumentControl:
    from signoff.docformat import DocFormatError, DocumentControl, parse_document

    try:
        return parse_document(text).control
    except DocFormatError:
        return DocumentControl()  # the server will say what is wrong with it
