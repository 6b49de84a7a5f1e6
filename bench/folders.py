"""A run's working folder: logs, load scripts and the private servers' data."""

import shutil
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path


def work_folder(stack: ExitStack, prefix: str) -> Path:
    """A temporary folder for logs and scripts: removed when ``stack`` closes after a
    successful run, kept (and named on stderr) after a failure, for its logs."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    # As root the PostgreSQL cluster inside runs as the `postgres` user, who must reach it.
    folder.chmod(0o755)

    def close(kind: type[BaseException] | None, *_: object) -> bool:
        if kind is None:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"bench: the logs are kept in {folder}", file=sys.stderr)
        return False

    stack.push(close)
    return folder
