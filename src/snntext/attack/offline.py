"""Everything TextAttack and its libraries need to run with no network: the one owner of
their environment variables and cache folders.

`import textattack` on a machine without network otherwise fails or stalls:
- its first import per cache folder calls nltk.download seven times, unless the marker file
  `post_install_check_3` already exists in TA_CACHE_DIR;
- it builds a StopwordModification at module level, which reads NLTK's `stopwords` corpus
  (LookupError offline);
- WordSwapWordNet (PWWS) calls nltk.download("omw-1.4") when built, and needs WordNet 3.0;
- Hugging Face loads retry for ~46 s before failing unless HF_HUB_OFFLINE=1.
So `prepare_offline()` must run before `import textattack`. It builds a project-owned NLTK
data folder (.cache/nltk_data): the stopwords unzipped from the downloaded stopwords.zip, and
WordNet 3.0 COPIED from the Debian packages wordnet-base + wordnet-sense-index
(/usr/share/wordnet; nltk refuses symlinks) plus the `lexnames` file Debian lacks (downloaded
by the download stage). It sets NLTK_DATA, TA_CACHE_DIR (textattack then also points HF_HOME,
XDG_CACHE_HOME, TFHUB_CACHE_DIR and PYTORCH_TRANSFORMERS_CACHE there), HF_HUB_OFFLINE,
TRANSFORMERS_OFFLINE and HF_DATASETS_OFFLINE, and turns nltk.download into a no-op.

textattack 0.3.11's wheel lacks shared/intentional_homoglyphs.txt, which WordSwapHomoglyphSwap
opens in __init__ (TextBugger); `homoglyph_swap()` builds one without touching the install.
"""

from __future__ import annotations

import os
import shutil
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from snntext.core import paths
from snntext.core.atomic import replaced_folder
from snntext.core.errors import SnntextError

CACHE_DIR = paths.PROJECT_ROOT / ".cache"
DEBIAN_WORDNET_DIR = Path("/usr/share/wordnet")
STOPWORDS_ZIP = paths.RESOURCES_DIR / "nltk" / "stopwords.zip"
LEXNAMES_FILE = paths.RESOURCES_DIR / "wordnet" / "lexnames"
TA_MARKER = "post_install_check_3"  # textattack 0.3.11's "post-install done" file
# Files nltk 3.10's WordNetCorpusReader opens (index.sense is read by map_wn; lexnames is not in Debian).
WORDNET_FILES = (
    "adj.exc",
    "adv.exc",
    "noun.exc",
    "verb.exc",
    "data.adj",
    "data.adv",
    "data.noun",
    "data.verb",
    "index.adj",
    "index.adv",
    "index.noun",
    "index.verb",
    "index.sense",
)
WORDNET_INSTALL_HINT = (
    "install the Debian packages wordnet-base and wordnet-sense-index as root "
    "(scripts/setup.sh does: apt-get install wordnet-base wordnet-sense-index)"
)
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}


@dataclass(frozen=True)
class OfflineResources:
    """Where the prepared resources are, and why WordNet is missing when it is."""

    nltk_data: Path
    textattack_cache: Path
    wordnet_problem: str | None  # None: WordNet 3.0 is ready for PWWS

    @property
    def wordnet_available(self) -> bool:
        return self.wordnet_problem is None


def wordnet_problem(source_dir: Path, lexnames: Path) -> str | None:
    """Why WordNet cannot be set up from `source_dir` + `lexnames`, or None when it can."""
    missing = [name for name in WORDNET_FILES if not (source_dir / name).is_file()]
    if missing:
        return (
            f"PWWS needs WordNet 3.0, but {source_dir} lacks {', '.join(missing[:3])}"
            f"{' ...' if len(missing) > 3 else ''}; {WORDNET_INSTALL_HINT}"
        )
    if not lexnames.is_file():
        return (
            f"PWWS needs WordNet's lexnames file, {lexnames} not found; run the download stage "
            f"(dvc repro download_vectors), which fetches resources.wordnet_lexnames"
        )
    return None


def _copy_tree_atomically(files: dict[str, Path], target: Path) -> None:
    """Copy files (name -> source) into `target`, replacing it only once all copies succeeded."""
    with replaced_folder(target) as staging:
        for name, source in files.items():
            shutil.copyfile(source, staging / name)  # real files: nltk refuses symlinks


def _wordnet_up_to_date(files: dict[str, Path], target: Path) -> bool:
    return all((target / n).is_file() and (target / n).stat().st_size == s.stat().st_size for n, s in files.items())


def install_wordnet(
    nltk_data: Path, source_dir: Path = DEBIAN_WORDNET_DIR, lexnames: Path = LEXNAMES_FILE
) -> str | None:
    """Copy WordNet 3.0 into nltk_data/corpora/wordnet; returns the problem instead when it cannot."""
    problem = wordnet_problem(Path(source_dir), Path(lexnames))
    if problem:
        return problem
    files = {name: Path(source_dir) / name for name in WORDNET_FILES}
    files["lexnames"] = Path(lexnames)
    target = Path(nltk_data) / "corpora" / "wordnet"
    if not _wordnet_up_to_date(files, target):
        _copy_tree_atomically(files, target)
    return None


def install_stopwords(nltk_data: Path, stopwords_zip: Path = STOPWORDS_ZIP) -> None:
    """Unzip NLTK's stopwords corpus into nltk_data/corpora/stopwords (needs the English list)."""
    stopwords_zip = Path(stopwords_zip)
    target = Path(nltk_data) / "corpora" / "stopwords"
    if (target / "english").is_file():
        return
    if not stopwords_zip.is_file():
        raise SnntextError(
            f"{stopwords_zip}: NLTK stopwords not found (textattack cannot be imported without them); "
            f"run the download stage (dvc repro download_vectors), which fetches resources.stopwords"
        )
    try:
        with zipfile.ZipFile(stopwords_zip) as archive:
            members = {}
            for info in archive.infolist():
                parts = Path(info.filename).parts
                if info.is_dir() or len(parts) != 2 or parts[0] != "stopwords" or parts[1] in ("..", "."):
                    continue
                members[parts[1]] = archive.read(info)
    except zipfile.BadZipFile as err:
        raise SnntextError(
            f"{stopwords_zip}: not a readable zip ({err}); delete it and rerun the download stage"
        ) from None
    if "english" not in members:
        raise SnntextError(f"{stopwords_zip}: holds no stopwords/english; delete it and rerun the download stage")
    with replaced_folder(target) as staging:
        for name, data in members.items():
            (staging / name).write_bytes(data)


def _offline_nltk_download(*args, **kwargs) -> bool:
    """Stand-in for nltk.download: everything needed is already in NLTK_DATA (or unavailable)."""
    return True


def _point_nltk_at(nltk_data: Path) -> None:
    """NLTK reads NLTK_DATA only when first imported: also fix an already-imported nltk."""
    import nltk

    folder = str(nltk_data)
    if folder in nltk.data.path:
        nltk.data.path.remove(folder)
    nltk.data.path.insert(0, folder)
    nltk.download = _offline_nltk_download


def prepare_offline(
    cache_dir: str | Path = CACHE_DIR,
    *,
    stopwords_zip: str | Path = STOPWORDS_ZIP,
    wordnet_dir: str | Path = DEBIAN_WORDNET_DIR,
    lexnames: str | Path = LEXNAMES_FILE,
) -> OfflineResources:
    """Prepare NLTK data + TextAttack cache under cache_dir and set the environment; idempotent.

    Call before `import textattack`. A missing WordNet is not an error here (only PWWS needs
    it): it is reported in the result's `wordnet_problem`.
    """
    if "textattack" in sys.modules and os.environ.get("TA_CACHE_DIR") != str(Path(cache_dir) / "textattack"):
        # textattack read its cache folder at import: preparing another one now would not be used
        raise RuntimeError("prepare_offline() must run before `import textattack`")
    cache_dir = Path(cache_dir)
    nltk_data = cache_dir / "nltk_data"
    ta_cache = cache_dir / "textattack"
    install_stopwords(nltk_data, Path(stopwords_zip))
    problem = install_wordnet(nltk_data, Path(wordnet_dir), Path(lexnames))
    ta_cache.mkdir(parents=True, exist_ok=True)
    (ta_cache / TA_MARKER).touch()
    os.environ["NLTK_DATA"] = str(nltk_data)
    os.environ["TA_CACHE_DIR"] = str(ta_cache)
    os.environ.update(OFFLINE_ENV)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    _point_nltk_at(nltk_data)
    return OfflineResources(nltk_data=nltk_data, textattack_cache=ta_cache, wordnet_problem=problem)


def require_wordnet(resources: OfflineResources) -> None:
    """SnntextError with the fix when WordNet (PWWS) is unavailable."""
    if resources.wordnet_problem:
        raise SnntextError(resources.wordnet_problem)


def homoglyph_swap():
    """textattack's WordSwapHomoglyphSwap despite the wheel's missing intentional_homoglyphs.txt.

    The class sets its fixed `homos` table before opening that file; the file only feeds the
    `homos_intentional` table of the newer BadCharacters attack, which TextBugger never uses.
    """
    from textattack.transformations import WordSwapHomoglyphSwap

    class PackagedHomoglyphSwap(WordSwapHomoglyphSwap):
        def __init__(self, **kwargs):
            try:
                super().__init__(**kwargs)
            except FileNotFoundError:
                self.homos_intentional = {}

    return PackagedHomoglyphSwap()
