"""PostGraphile 4, the read benchmark's peer: installed by npm into ``.tools/postgraphile``
from the pinned ``package.json`` and ``package-lock.json`` beside this file, served by
``server.js`` (one Node process) on the bench's database."""
