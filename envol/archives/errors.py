"""Errors and warnings a user can act on: which file, which line, what went wrong, what to do.

Archives are untrusted input, so every way they can be wrong ends as an `ArchiveError` with a
stable `code`. The English and French wording lives in one table keyed by that code; the pure
layer renders English by default and the Django layer asks for the user's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

REDOWNLOAD_EN: Final = (
    "re-download the archive from X: Settings → Your account → Download an archive of your data"
)
REDOWNLOAD_FR: Final = (
    "téléchargez à nouveau l'archive depuis X : Paramètres → Votre compte → "
    "Télécharger une archive de vos données"
)


@dataclass(frozen=True, slots=True)
class Wording:
    """What went wrong and what the user can do, with `{placeholders}` filled from the details."""

    problem: str
    hint: str


# The reasons `source.unsafe_name_reason` gives (English: the detail as stored), in French.
UNSAFE_NAME_REASONS_FR: Final[dict[str, str]] = {
    "NUL character": "caractère NUL",
    "backslash": "barre oblique inverse",
    "absolute path": "chemin absolu",
    "'..' component": "composant « .. »",
}

# code -> language -> wording
MESSAGES: Final[dict[str, dict[str, Wording]]] = {
    "not_found": {
        "en": Wording("no file or folder at this path", "check the path and try again"),
        "fr": Wording("aucun fichier ni dossier à cet emplacement", "vérifiez le chemin"),
    },
    "not_a_zip": {
        "en": Wording(
            "this file is not a zip archive",
            "give the .zip file X sent you, unchanged, or the folder it unpacks to",
        ),
        "fr": Wording(
            "ce fichier n'est pas une archive zip",
            "fournissez le fichier .zip envoyé par X, tel quel, ou le dossier décompressé",
        ),
    },
    "corrupt_zip": {
        "en": Wording("the zip archive is damaged ({detail})", REDOWNLOAD_EN),
        "fr": Wording("l'archive zip est endommagée ({detail})", REDOWNLOAD_FR),
    },
    "not_an_x_archive": {
        "en": Wording(
            "this is not an X archive (no data/account.js or data/manifest.js inside)",
            "give the archive from X: Settings → Your account → Download an archive of your data",
        ),
        "fr": Wording(
            "ce n'est pas une archive X (ni data/account.js ni data/manifest.js)",
            "fournissez l'archive de X : Paramètres → Votre compte → "
            "Télécharger une archive de vos données",
        ),
    },
    "unsafe_path": {
        "en": Wording(
            "an entry has an unsafe name ({detail}) and could write outside the archive",
            "use the archive exactly as X produced it; do not open archives from unknown sources",
        ),
        "fr": Wording(
            "une entrée a un nom dangereux ({detail}) qui pourrait écrire hors de l'archive",
            "utilisez l'archive telle que X l'a produite ; "
            "n'ouvrez pas d'archive d'origine inconnue",
        ),
    },
    "symlink": {
        "en": Wording(
            "an entry is a symbolic link, which an X archive never contains",
            "use the archive exactly as X produced it",
        ),
        "fr": Wording(
            "une entrée est un lien symbolique, ce qu'une archive X ne contient jamais",
            "utilisez l'archive telle que X l'a produite",
        ),
    },
    "too_large": {
        "en": Wording(
            "the archive unpacks to more than the allowed size ({detail})",
            "ask an administrator to raise the archive size limit, or import a smaller archive",
        ),
        "fr": Wording(
            "l'archive décompressée dépasse la taille autorisée ({detail})",
            "demandez à un administrateur de relever la limite, "
            "ou importez une archive plus petite",
        ),
    },
    "member_too_large": {
        "en": Wording(
            "this file unpacks to more than the allowed size ({detail})",
            "ask an administrator to raise the per-file size limit",
        ),
        "fr": Wording(
            "ce fichier décompressé dépasse la taille autorisée ({detail})",
            "demandez à un administrateur de relever la limite par fichier",
        ),
    },
    "zip_bomb": {
        "en": Wording(
            "this file is compressed suspiciously well ({detail}): it looks like a zip bomb",
            "use the archive exactly as X produced it; do not open archives from unknown sources",
        ),
        "fr": Wording(
            "ce fichier est anormalement compressé ({detail}) : cela ressemble à une bombe zip",
            "utilisez l'archive telle que X l'a produite ; "
            "n'ouvrez pas d'archive d'origine inconnue",
        ),
    },
    "unsupported_compression": {
        "en": Wording(
            "this file is compressed with a method X archives never use (only stored and deflate)",
            "use the archive exactly as X produced it; do not open archives from unknown sources",
        ),
        "fr": Wording(
            "ce fichier est compressé par une méthode que les archives X n'utilisent jamais "
            "(seulement « stored » et « deflate »)",
            "utilisez l'archive telle que X l'a produite ; "
            "n'ouvrez pas d'archive d'origine inconnue",
        ),
    },
    "overlapping_entries": {
        "en": Wording(
            "entries of the zip archive share their data, which only a zip bomb does",
            "use the archive exactly as X produced it; do not open archives from unknown sources",
        ),
        "fr": Wording(
            "des entrées de l'archive zip partagent leurs données, ce que seule une bombe zip fait",
            "utilisez l'archive telle que X l'a produite ; "
            "n'ouvrez pas d'archive d'origine inconnue",
        ),
    },
    "record_too_large": {
        "en": Wording(
            "a record of this file is larger than any X record ({detail}) or never ends",
            "use the archive exactly as X produced it; do not open archives from unknown sources",
        ),
        "fr": Wording(
            "un enregistrement de ce fichier dépasse la taille de tout enregistrement X "
            "({detail}) ou ne se termine jamais",
            "utilisez l'archive telle que X l'a produite ; "
            "n'ouvrez pas d'archive d'origine inconnue",
        ),
    },
    "too_many_files": {
        "en": Wording(
            "the archive holds more files than allowed ({detail})",
            "ask an administrator to raise the limit on the number of files",
        ),
        "fr": Wording(
            "l'archive contient plus de fichiers qu'autorisé ({detail})",
            "demandez à un administrateur de relever la limite du nombre de fichiers",
        ),
    },
    "missing_file": {
        "en": Wording("this file is missing from the archive", REDOWNLOAD_EN),
        "fr": Wording("ce fichier manque dans l'archive", REDOWNLOAD_FR),
    },
    "unreadable": {
        "en": Wording("this file cannot be read ({detail})", REDOWNLOAD_EN),
        "fr": Wording("ce fichier est illisible ({detail})", REDOWNLOAD_FR),
    },
    "not_a_data_file": {
        "en": Wording(
            "this file does not start like an X data file (window.YTD.<type>.part<N> = [ … ])",
            REDOWNLOAD_EN,
        ),
        "fr": Wording(
            "ce fichier ne commence pas comme un fichier de données X "
            "(window.YTD.<type>.part<N> = [ … ])",
            REDOWNLOAD_FR,
        ),
    },
    "malformed_json": {
        "en": Wording("the data is malformed or cut short ({detail})", REDOWNLOAD_EN),
        "fr": Wording("les données sont mal formées ou tronquées ({detail})", REDOWNLOAD_FR),
    },
    "unexpected_content": {
        "en": Wording("a record does not have the expected shape ({detail})", REDOWNLOAD_EN),
        "fr": Wording("un enregistrement n'a pas la forme attendue ({detail})", REDOWNLOAD_FR),
    },
}

WARNINGS: Final[dict[str, dict[str, str]]] = {
    "unread_data_type": {
        "en": "{file}: {detail} is not imported by envol (kept only in your archive)",
        "fr": "{file} : {detail} n'est pas importé par envol (reste seulement dans votre archive)",
    },
    "unmatched_note_tweets": {
        "en": "{file}: {detail} long post(s) could not be joined to their tweet",
        "fr": "{file} : {detail} publication(s) longue(s) sans tweet correspondant",
    },
    "missing_media": {
        "en": "{file}: {detail} media file(s) referenced by tweets are not in the archive",
        "fr": "{file} : {detail} fichier(s) média cité(s) par les tweets absent(s) de l'archive",
    },
}


def _language(lang: str) -> str:
    return "fr" if lang.lower().startswith("fr") else "en"


@dataclass(eq=False)
class ArchiveError(Exception):
    """A problem in an archive, located as precisely as we can (file, line, record)."""

    code: str
    file: str = ""
    line: int | None = None
    record: int | None = None
    detail: str = ""

    def __post_init__(self) -> None:
        if self.code not in MESSAGES:
            raise ValueError(f"unknown archive error code {self.code!r}")
        Exception.__init__(self, self.message())

    @property
    def problem(self) -> str:
        return self._wording("en").problem.format(detail=self.detail)

    @property
    def hint(self) -> str:
        return self._wording("en").hint.format(detail=self.detail)

    def _wording(self, lang: str) -> Wording:
        return MESSAGES[self.code][_language(lang)]

    def location(self, lang: str = "en") -> str:
        """`data/tweets.js, line 12` — or `ligne` in French; empty when nothing is known."""
        french = _language(lang) == "fr"
        parts = [self.file] if self.file else []
        if self.line is not None:
            parts.append(f"{'ligne' if french else 'line'} {self.line}")
        if self.record is not None:
            parts.append(f"{'enregistrement' if french else 'record'} {self.record}")
        return ", ".join(parts)

    def message(self, lang: str = "en") -> str:
        """The whole story in one line: where, what, and what to do."""
        wording = self._wording(lang)
        where = self.location(lang)
        detail = self.detail
        if _language(lang) == "fr" and self.code == "unsafe_path":
            detail = UNSAFE_NAME_REASONS_FR.get(detail, detail)
        problem = wording.problem.format(detail=detail)
        hint = wording.hint.format(detail=detail)
        separator = " : " if _language(lang) == "fr" else ": "
        head = f"{where}{separator}{problem}" if where else problem[:1].upper() + problem[1:]
        return f"{head}. {hint[:1].upper()}{hint[1:]}."

    def __str__(self) -> str:
        return self.message("en")

    def __reduce__(self) -> tuple[type[ArchiveError], tuple[str, str, int | None, int | None, str]]:
        return (type(self), (self.code, self.file, self.line, self.record, self.detail))


@dataclass(frozen=True, slots=True)
class ArchiveWarning:
    """Something the import leaves aside; shown to the user, never fatal."""

    code: str
    file: str
    detail: str = field(default="")

    def message(self, lang: str = "en") -> str:
        return WARNINGS[self.code][_language(lang)].format(file=self.file, detail=self.detail)

    def __str__(self) -> str:
        return self.message("en")
